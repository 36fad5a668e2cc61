#pragma once
// mount(8)-style option strings split for mount(2): flag words become MS_*
// bits, everything else (size=, mode=, ...) is passed to the filesystem.

#include <string>
#include <string_view>

namespace lethe::init {

struct MountOptions {
    unsigned long flags = 0;
    std::string data; // comma-separated, in the order given
};

// "size=64M,mode=0755,nosuid,nodev" -> {MS_NOSUID|MS_NODEV, "size=64M,mode=0755"}.
MountOptions split_mount_options(std::string_view options);

} // namespace lethe::init
