#include "stage/packages.hpp"

#include "stage/tree_root.hpp"

#include <algorithm>
#include <sstream>

namespace lethe::stage {

std::vector<Package> parse_dpkg_status(const std::string& status) {
    std::vector<Package> packages;
    Package current;
    bool installed = false;
    auto finish = [&] {
        if (installed && !current.name.empty()) packages.push_back(current);
        current = Package{};
        installed = false;
    };
    std::istringstream in(status);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) {
            finish();
            continue;
        }
        auto field = [&](const char* key) { return line.rfind(key, 0) == 0 ? line.substr(std::string(key).size()) : std::string(); };
        if (line.rfind("Package: ", 0) == 0) current.name = field("Package: ");
        else if (line.rfind("Version: ", 0) == 0) current.version = field("Version: ");
        else if (line.rfind("Architecture: ", 0) == 0) current.architecture = field("Architecture: ");
        else if (line.rfind("Status: ", 0) == 0) installed = line.find(" installed") != std::string::npos;
    }
    finish();
    std::sort(packages.begin(), packages.end(), [](const Package& a, const Package& b) { return a.name < b.name; });
    return packages;
}

std::vector<Package> installed_packages(const std::filesystem::path& rootfs) {
    TreeRoot tree(rootfs);
    if (!tree.is_regular_file("var/lib/dpkg/status")) return {};
    return parse_dpkg_status(tree.read("var/lib/dpkg/status").value_or(""));
}

} // namespace lethe::stage
