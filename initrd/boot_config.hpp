#pragma once
// /lethe/init.conf, the configuration `lethe build` writes into the initrd
// (builder/initramfs/init_config.cpp renders it; the format is in
// initrd/README.md). Parsing is pure so it is unit tested with the renderer.

#include <string>
#include <string_view>
#include <vector>

namespace lethe::init {

inline constexpr const char* config_path = "/lethe/init.conf";

struct TaggedPartition {
    std::string tag;    // PARTUUID=..., PARTLABEL=..., UUID=... or LABEL=...
    std::string fstype; // erofs, ext4, ...
};

struct Link {
    std::string name, target; // /NAME -> TARGET in the new root
};

struct Factory {
    std::string source, destination; // paths in the new root
};

struct Directory {
    std::string path;
    unsigned mode = 0755;
};

struct Bind {
    bool directory = true;
    std::string path; // in the new root; the source is MOUNT/PATH on the persistent partition
    unsigned uid = 0, gid = 0, mode = 0755;
};

// A module loaded only for a device whose modalias matches a pattern.
struct DeviceModule {
    std::string path;
    std::vector<std::string> patterns; // fnmatch(3), '-' written as '_' as libkmod does
    bool operator==(const DeviceModule&) const = default;
};

struct BootConfig {
    int timeout_seconds = 30;
    int rescue_delay_seconds = 30;
    std::string rescue; // empty: reboot on failure
    std::vector<std::string> modules;         // always loaded, first
    std::vector<DeviceModule> device_modules; // in load order
    std::string root_tmpfs_options;
    TaggedPartition usr;
    TaggedPartition persist;
    std::string persist_mount;
    bool grow_persist = false; // grow the partition and its ext4 to the end of a larger disk
    std::string fsck; // empty: no check
    std::vector<Link> links;
    std::vector<Factory> factories;
    std::vector<Directory> directories;
    std::vector<Bind> binds;
    std::string init = "/sbin/init";
};

// Throws Failure("init.conf:LINE: ...") on an unknown directive or a malformed line.
BootConfig parse_boot_config(std::string_view text);

// Reverses the builder's octal escapes (`\040` for a blank, as in /proc/mounts).
std::string unescape_field(std::string_view field);

// The blank-separated fields of one line, unescaped.
std::vector<std::string> split_fields(std::string_view line);

} // namespace lethe::init
