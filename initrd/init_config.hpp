#pragma once
// /lethe/init.conf, the configuration `lethe build` writes into the initrd
// and lethe-init reads: its one schema, renderer and parser (the format is
// in initrd/README.md). lethe-init owns the format; the builder links this
// file (library lethe_init_config) to write it, so the two cannot drift.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::init {

inline constexpr const char* config_path = "/lethe/init.conf";

struct TaggedPartition {
    std::string tag;    // PARTUUID=..., PARTLABEL=..., UUID=... or LABEL=...
    std::string fstype; // erofs, ext4, ...
    bool operator==(const TaggedPartition&) const = default;
};

struct Link {
    std::string name, target; // /NAME -> TARGET in the new root, e.g. bin -> usr/bin
    bool operator==(const Link&) const = default;
};

struct Factory {
    std::string source, destination; // paths in the new root
    bool operator==(const Factory&) const = default;
};

struct Directory {
    std::string path; // "/tmp"
    unsigned mode = 0755;
    bool operator==(const Directory&) const = default;
};

// A persisted path: PATH in the new root, bind-mounted from MOUNT/PATH on
// the persistent partition.
struct Bind {
    std::string path; // "/var/lib"
    bool directory = true;
    unsigned uid = 0, gid = 0, mode = 0755;
    std::string options; // "noexec,nosuid": set on the bind mount (a remount); empty: none
    bool operator==(const Bind&) const = default;
};

// A module loaded only for a device whose modalias matches a pattern.
struct DeviceModule {
    std::string path;
    std::vector<std::string> patterns; // fnmatch(3), '-' written as '_' as libkmod does
    bool operator==(const DeviceModule&) const = default;
};

// What the kernel does when a block of /usr does not match its hash tree
// (`verity.on_corruption` in a layout; dm-verity's table options).
enum class OnCorruption {
    eio,     // the read fails with EIO and the kernel logs it
    restart, // the kernel restarts the machine
    panic,   // the kernel panics
};
// "eio", "restart", "panic", in the enum's order: what a layout may write.
const std::vector<std::string>& on_corruption_names();
// Failure for a word not in on_corruption_names().
OnCorruption parse_on_corruption(std::string_view word);
const char* to_string(OnCorruption mode);

struct InitConfig {
    int timeout_seconds = 30;
    int rescue_delay_seconds = 30;
    std::string rescue; // empty: reboot on failure
    std::vector<std::string> modules;         // always loaded, first
    std::vector<DeviceModule> device_modules; // in load order
    std::string root_tmpfs_options;
    // /usr: the partition TAG names, or with usr_verity the dm-verity device
    // over the partitions that usrhash= on the kernel command line gives
    // (then usr.tag is empty: the root hash is not known when the initrd is made).
    TaggedPartition usr;
    std::optional<OnCorruption> usr_verity;
    TaggedPartition persist;
    std::string persist_mount;
    bool grow_persist = false; // grow the partition and its ext4 to the end of a larger disk
    std::string fsck; // empty: no check
    std::vector<Link> links;
    std::vector<Factory> factories;
    std::vector<Directory> directories;
    std::vector<Bind> binds;
    std::string init = "/sbin/init";
    bool operator==(const InitConfig&) const = default;
};

std::string render_init_config(const InitConfig& config);

// Throws Failure("init.conf:LINE: ...") on an unknown directive or a malformed line.
InitConfig parse_init_config(std::string_view text);

// Fields with blanks, backslashes or '#' are written with octal escapes, as in /proc/mounts.
std::string escape_field(std::string_view field);

// Reverses the builder's octal escapes (`\040` for a blank, as in /proc/mounts).
std::string unescape_field(std::string_view field);

// The blank-separated fields of one line, unescaped.
std::vector<std::string> split_fields(std::string_view line);

} // namespace lethe::init
