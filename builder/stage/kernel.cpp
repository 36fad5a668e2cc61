#include "stage/kernel.hpp"

#include "util/error.hpp"

#include <string.h>

#include <algorithm>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

fs::path modules_root(const fs::path& rootfs) {
    // Before usr-merge, /lib may be a real directory or a link to usr/lib.
    fs::path usr = rootfs / "usr/lib/modules";
    return fs::is_directory(usr) ? usr : rootfs / "lib/modules";
}

fs::path image_for(const fs::path& rootfs, const std::string& version) {
    for (fs::path candidate : {rootfs / "boot" / ("vmlinuz-" + version), modules_root(rootfs) / version / "vmlinuz"})
        if (fs::is_regular_file(candidate)) return candidate;
    return {};
}

} // namespace

std::vector<std::string> sort_versions(std::vector<std::string> versions) {
    std::sort(versions.begin(), versions.end(),
              [](const std::string& a, const std::string& b) { return strverscmp(a.c_str(), b.c_str()) < 0; });
    return versions;
}

KernelFiles find_kernel(const fs::path& rootfs, const std::string& wanted, const catalog::Target& target) {
    std::vector<std::string> versions;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(modules_root(rootfs), ec))
        if (entry.is_directory() && !image_for(rootfs, entry.path().filename().string()).empty())
            versions.push_back(entry.path().filename().string());
    versions = sort_versions(versions);
    if (versions.empty())
        fail_input("the rootfs has no kernel (no /boot/vmlinuz-VERSION with /usr/lib/modules/VERSION): "
                   "add a kernel package, e.g. {}", target.kernel_package);
    std::string version = wanted.empty() ? versions.back() : wanted;
    if (std::find(versions.begin(), versions.end(), version) == versions.end()) {
        std::string available;
        for (const auto& v : versions) available += (available.empty() ? "" : ", ") + v;
        fail_input("kernel.version {} is not in the rootfs; it has {}", version, available);
    }
    return {version, image_for(rootfs, version)};
}

} // namespace lethe::stage
