#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::stage {

struct Package {
    std::string name;
    std::string version;
    std::string architecture;
};

// Installed packages from dpkg's status file (empty for a rootfs without dpkg).
std::vector<Package> parse_dpkg_status(const std::string& status);
std::vector<Package> installed_packages(const std::filesystem::path& rootfs);

} // namespace lethe::stage
