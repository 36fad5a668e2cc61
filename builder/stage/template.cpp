#include "stage/template.hpp"

#include "util/error.hpp"

#include <regex>

namespace lethe::stage {

std::string render_template(const std::string& text, const std::map<std::string, std::string>& values,
                            const std::string& name) {
    std::string out = text;
    for (const auto& [key, value] : values) {
        std::string marker = "@" + key + "@";
        for (size_t at = out.find(marker); at != std::string::npos; at = out.find(marker, at + value.size()))
            out.replace(at, marker.size(), value);
    }
    std::smatch left;
    static const std::regex placeholder("@[A-Z_]+@");
    if (std::regex_search(out, left, placeholder))
        fail("internal error: template {} has {}, which lethe does not fill in", name, left.str());
    return out;
}

} // namespace lethe::stage
