#pragma once
// What a user wrote: an image recipe and its disk layout, checked but not yet
// planned. Every value keeps the place it came from so later stages can point
// at it in errors.

#include "catalog/target.hpp"
#include "initrd/init_config.hpp" // OnCorruption: lethe-init's init.conf carries it

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lethe::spec {

struct Section; // spec/yaml_reader.hpp

// file:line:column of a value in a YAML file (1-based).
struct Origin {
    std::string file;
    int line = 0;
    int column = 0;
};
std::string to_string(const Origin& origin);

enum class SizeRule { fixed, automatic, rest };

struct Size {
    SizeRule rule = SizeRule::fixed;
    uint64_t bytes = 0; // for fixed
};

struct Partition {
    std::string name;       // also the GPT partition label
    std::string type_name;  // a DPS short name or a GUID, as written; the plan resolves it
    Size size;
    std::string filesystem; // a kind of catalog/filesystem_kinds.hpp
    std::string compression; // for erofs/squashfs; empty = the filesystem's default in lethe
    bool verity = false;     // `verity: true`: a dm-verity hash tree (only on the usr partition)
    Origin origin;
    Origin verity_origin; // of `verity:`, when given
};

struct Disk {
    Origin origin; // of `disk:`
    Size size; // fixed or automatic (the sum of the partitions)
    std::vector<Partition> partitions;
};

struct TmpfsRoot {
    uint64_t size = 0;
    uint32_t mode = 0755;
    std::vector<std::string> options; // extra mount options, e.g. nosuid, nodev
};

struct PersistedPath {
    std::string path;                // absolute, normalised
    std::optional<std::string> user; // name or number; default: as in the rootfs, else root
    std::optional<std::string> group;
    std::optional<uint32_t> mode;
    std::vector<std::string> options; // noexec, nosuid, nodev, ro: set on the bind mount
    Origin origin;
};

struct Persistence {
    std::string partition; // name of a partition in disk.partitions
    std::string mount;     // where it is visible in the running system, e.g. /persist
    bool grow = true;      // grow to the end of a larger disk on the first boot (when it is the last partition)
    std::vector<PersistedPath> directories;
    std::vector<PersistedPath> files;
};

struct InitrdOptions {
    int timeout_seconds = 30;        // wait for partitions
    std::vector<std::string> modules; // extra kernel modules
    std::string compression = "zstd";
    bool rescue_shell = false;       // drop to /usr/bin/sh on failure instead of rebooting
};

// The layout's `verity:` section: how a partition with `verity: true` is checked.
struct VerityOptions {
    init::OnCorruption on_corruption = init::OnCorruption::eio;
};

struct Layout {
    std::string file; // where it was read from ("" when inline)
    Disk disk;
    TmpfsRoot root;
    Persistence persistence;
    InitrdOptions initrd;
    VerityOptions verity;
};

struct RootfsSource {
    enum class Kind { tarball, directory, mmdebstrap } kind = Kind::tarball;
    std::string path; // tarball or directory, absolute
    std::string suite;
    std::string variant = "minbase";
    std::string mirror;
    std::vector<std::string> packages;
};

// How machines start the image: `bios` (legacy BIOS, e.g. SeaBIOS on
// Hetzner's Intel/AMD servers) and `uefi` (OVMF). Empty: only direct kernel boot (QEMU -kernel), no
// ESP. Unset: every firmware the target's machines have. See docs/boot.md.
struct Boot {
    std::optional<std::vector<catalog::Firmware>> firmware;
    Origin origin;
};

struct Kernel {
    std::string version; // empty: the only (or newest) kernel in the rootfs
    std::optional<std::string> cmdline; // unset: the console on tty0 and the target's serial port
};

struct Recipe {
    std::string file; // absolute path of the recipe
    std::string name;
    std::string seed; // UUIDs derive from it; default: the name
    RootfsSource rootfs;
    std::vector<std::string> overlays; // directories copied over the rootfs, in order
    Layout layout;
    Kernel kernel;
    Boot boot;
    std::vector<std::string> outputs; // raw, qcow2, raw.zst, raw.xz
    // The sections that optional features read (tailscale:, network:, ...),
    // by key; builder/features/ parses them.
    std::map<std::string, std::shared_ptr<const Section>> sections;
};

} // namespace lethe::spec
