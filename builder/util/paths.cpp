#include "util/paths.hpp"

#include "util/error.hpp"

#include <unistd.h>

#include <algorithm>
#include <vector>

namespace fs = std::filesystem;

namespace lethe {
namespace {

fs::path executable_dir() {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : self.parent_path();
}

fs::path first_existing(const std::vector<fs::path>& candidates, const std::string& what) {
    for (const auto& candidate : candidates) {
        std::error_code ec;
        if (!candidate.empty() && fs::exists(candidate, ec)) return candidate;
    }
    std::string tried;
    for (const auto& candidate : candidates)
        if (!candidate.empty()) tried += "\n  " + candidate.string();
    fail("cannot find {}; looked in:{}", what, tried);
}

// Only a lethe running from its build tree looks into the source and build
// trees: an installed copy finds everything under its own prefix, or fails.
bool in_build_tree() { return is_within(executable_dir().string(), LETHE_BUILD_DIR); }

} // namespace

bool is_within(std::string_view path, std::string_view dir) {
    if (dir == "/" || path == dir) return true;
    return path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/';
}

fs::path data_path(const std::string& relative) {
    std::vector<fs::path> candidates;
    if (const char* dir = std::getenv("LETHE_DATA_DIR")) candidates.push_back(fs::path(dir) / relative);
    candidates.push_back(executable_dir() / LETHE_DATA_RELATIVE / relative);
    if (in_build_tree()) candidates.push_back(fs::path(LETHE_SOURCE_DIR) / relative);
    return first_existing(candidates, relative);
}

fs::path helper_program(const std::string& name, std::string_view subdirectory) {
    std::string variable = "LETHE_" + name.substr(name.find('-') + 1);
    std::transform(variable.begin(), variable.end(), variable.begin(), [](char c) { return c == '-' ? '_' : ::toupper(c); });
    std::vector<fs::path> candidates;
    if (const char* path = std::getenv(variable.c_str())) candidates.push_back(path);
    fs::path dir = executable_dir();
    candidates.push_back(dir / LETHE_HELPERS_RELATIVE / subdirectory / name);
    if (in_build_tree() && subdirectory.empty())
        for (const char* sub : {"../initrd", "../guest/decrypt", "../guest/metadata"}) candidates.push_back(dir / sub / name);
    return fs::weakly_canonical(first_existing(candidates, "the program " + name));
}

} // namespace lethe
