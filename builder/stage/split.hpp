#pragma once
// Turns an extracted root filesystem into the two trees an image holds:
// - the OS tree (the rootfs's /usr), where every other top-level directory
//   becomes a factory copy under /usr/share/factory/<name> that lethe-init
//   copies into the tmpfs root at each boot;
// - the persistent tree, holding the rootfs's content of each persisted path.

#include "plan/plan.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lethe::stage {

struct Link {
    std::string name;   // "bin"
    std::string target; // "usr/bin"
};

struct Directory {
    std::string path; // "/tmp"
    uint32_t mode = 0755;
};

struct PersistedPath {
    std::string path; // "/var/lib"
    bool directory = true;
    uint32_t uid = 0, gid = 0, mode = 0755;
};

struct SplitTree {
    std::filesystem::path usr_tree;     // rootfs/usr
    std::filesystem::path persist_tree; // what the persistent partition starts with
    std::vector<std::string> factory;   // top-level names under /usr/share/factory
    std::vector<Link> links;            // usr-merge symlinks for the tmpfs root
    std::vector<Directory> directories; // empty directories the tmpfs root needs
    std::vector<PersistedPath> persisted;
};

inline constexpr const char* factory_dir = "usr/share/factory";

// Moves (never copies) the rootfs apart; `rootfs` is consumed. Every entry
// lethe creates gets `epoch` as its timestamps. Refuses, with exit status 2,
// a persisted path that is a symlink or of the wrong kind in the rootfs, and
// a manifest owner the image does not know.
SplitTree split_rootfs(const std::filesystem::path& rootfs, const std::filesystem::path& persist_tree,
                       const plan::Plan& plan, int64_t epoch);

} // namespace lethe::stage
