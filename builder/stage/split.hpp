#pragma once
// Turns an extracted root filesystem into the two trees an image holds:
// - the OS tree (the rootfs's /usr), where every other top-level directory
//   becomes a factory copy under /usr/share/factory/<name> that lethe-init
//   copies into the tmpfs root at each boot;
// - the persistent tree, holding the rootfs's content of each persisted path.

#include "initrd/init_config.hpp"
#include "plan/plan.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lethe::stage {

struct SplitTree {
    std::filesystem::path usr_tree;     // rootfs/usr
    std::filesystem::path persist_tree; // what the persistent partition starts with
    std::vector<std::string> factory;   // top-level names under /usr/share/factory
    std::vector<init::Link> links;            // usr-merge symlinks for the tmpfs root
    std::vector<init::Directory> directories; // empty directories the tmpfs root needs
    std::vector<init::Bind> persisted;        // what lethe-init binds from the persistent partition
};

inline constexpr const char* factory_dir = "usr/share/factory";

// Moves (never copies) the rootfs apart; `rootfs` is consumed. Every entry
// lethe creates gets `epoch` as its timestamps. Refuses, with exit status 2,
// a persisted path that is a symlink or of the wrong kind in the rootfs, and
// a manifest owner the image does not know.
SplitTree split_rootfs(const std::filesystem::path& rootfs, const std::filesystem::path& persist_tree,
                       const plan::Plan& plan, int64_t epoch);

} // namespace lethe::stage
