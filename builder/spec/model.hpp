#pragma once
// What a user wrote: an image recipe and its disk layout, checked but not yet
// planned. Every value keeps the place it came from so later stages can point
// at it in errors.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lethe::spec {

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
    std::string type_guid;  // resolved from a DPS short name or a literal GUID
    std::string type_name;  // as written
    Size size;
    std::string filesystem; // erofs, squashfs, ext4, vfat, none
    std::string compression; // for erofs/squashfs; empty = the filesystem's default in lethe
    Origin origin;
};

struct Disk {
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

struct Layout {
    std::string file; // where it was read from ("" when inline)
    Disk disk;
    std::string usr_partition; // name of the partition of type usr: the OS
    TmpfsRoot root;
    Persistence persistence;
    InitrdOptions initrd;
};

struct RootfsSource {
    enum class Kind { tarball, directory, mmdebstrap } kind = Kind::tarball;
    std::string path; // tarball or directory, absolute
    std::string suite;
    std::string variant = "minbase";
    std::string mirror;
    std::vector<std::string> packages;
};

// How machines start the image: `bios` (legacy BIOS, e.g. SeaBIOS on Hetzner
// x86) and `uefi` (OVMF, Hetzner arm64). Empty: only direct kernel boot
// (QEMU -kernel), no ESP. See docs/boot.md.
struct Boot {
    std::vector<std::string> firmware = {"bios", "uefi"};
};

struct Kernel {
    std::string version; // empty: the only (or newest) kernel in the rootfs
    std::string cmdline = "console=tty0 console=ttyS0,115200";
};

// Tailscale enrolment on an instance's first boot (docs/tailscale.md). The
// recipe names an age-encrypted auth key; the image never holds its plaintext.
struct Tailscale {
    std::string auth_key; // absolute path of the age file
    Origin auth_key_origin;
    std::string hostname;
    std::vector<std::string> advertise_tags; // "tag:server"
    bool advertise_exit_node = false;
    std::string exit_node; // an IP or a node name
    bool exit_node_allow_lan_access = false;
    std::string login_server; // a Headscale or other control server URL
    bool ssh = false;
    std::vector<std::string> extra_args; // each "--flag[=value]", appended verbatim
};

// Networking of the image (docs/recipes.md): DHCP on the Ethernet NICs with
// systemd-networkd, on unless the recipe says `network: {dhcp: false}`.
struct Network {
    bool dhcp = true;
    bool dhcp_explicit = false; // the recipe wrote `dhcp: true`: a rootfs without networkd is an error
};

// Hetzner Cloud's metadata service (docs/hetzner.md): IPv6 and SSH keys at boot.
struct Hetzner {
    bool metadata = false;
    Origin origin; // of `metadata:`, for errors found after parsing
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
    std::vector<std::string> outputs; // raw, qcow2
    std::optional<Tailscale> tailscale;
    Network network;
    Hetzner hetzner;
};

} // namespace lethe::spec
