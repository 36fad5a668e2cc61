#pragma once
// The kernel a rootfs carries, which lethe boots and takes modules from.

#include "catalog/target.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::stage {

struct KernelFiles {
    std::string version;               // "6.1.0-28-cloud-<arch>"
    // Host paths with the rootfs's links resolved inside it (TreeRoot::host_path).
    std::filesystem::path image;       // vmlinuz
    std::filesystem::path modules_dir; // lib/modules/<version> inside the rootfs
};

// Versions sorted as dpkg would (6.1.0-9 before 6.1.0-10).
std::vector<std::string> sort_versions(std::vector<std::string> versions);

// Finds the kernel in a rootfs: /boot/vmlinuz-<v> (or /usr/lib/modules/<v>/vmlinuz)
// with its modules in /usr/lib/modules/<v>. `wanted` empty: the newest.
// Refuses (exit status 2) a rootfs without a kernel or without the wanted
// one, naming the target's kernel package.
KernelFiles find_kernel(const std::filesystem::path& rootfs, const std::string& wanted,
                        const catalog::Target& target);

} // namespace lethe::stage
