#pragma once
// The plan: everything a build will do, as plain data computed from the spec
// with no I/O. `lethe plan` prints it; golden tests compare it.

#include "spec/model.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lethe::plan {

enum class Role {
    usr,     // the read-only OS, mounted at /usr
    persist, // the persistent partition
    esp,     // the EFI system partition: kernel, initrd and boot loaders
    data,    // any other partition: made with an empty filesystem
};
std::string to_string(Role role);

struct FilesystemPlan {
    std::string type; // erofs, squashfs, ext4, vfat, none
    std::string label;
    std::string uuid;
    std::string compression;
};

struct PartitionPlan {
    std::string name; // GPT partition label
    std::string type_guid;
    std::string type_name;
    std::string uuid;
    Role role = Role::data;
    spec::Size size_rule;
    std::optional<uint64_t> offset; // resolved by place_partitions()
    std::optional<uint64_t> size;
    uint64_t attributes = 0; // GPT attribute bits
    FilesystemPlan filesystem;
};

// GPT attribute bit 2: the partition SYSLINUX's gptmbr.bin boots on BIOS.
inline constexpr uint64_t legacy_bios_bootable = uint64_t{1} << 2;

struct PersistEntry {
    std::string path; // absolute path in the running system
    bool directory = true;
    std::optional<std::string> user; // unset: as in the rootfs, else root
    std::optional<std::string> group;
    std::optional<uint32_t> mode;
};

struct InitrdPlan {
    std::vector<std::string> modules;          // must load
    std::vector<std::string> optional_modules; // disk drivers: loaded when the kernel has them
    std::string compression;
    int timeout_seconds = 30;
    bool rescue_shell = false;
};

// Tailscale enrolment: what goes into the image (docs/tailscale.md).
struct TailscalePlan {
    std::string auth_key;             // the recipe's age file, copied byte for byte
    std::vector<std::string> up_args; // flags of `tailscale up`, one a line in the up-args file
};

// Where the image keeps them; all under /usr, so read-only at run time.
inline constexpr const char* tailscale_auth_key_file = "/usr/lib/lethe/tailscale/auth-key.age";
inline constexpr const char* tailscale_up_args_file = "/usr/lib/lethe/tailscale/up-args";
inline constexpr const char* tailscale_script_file = "/usr/lib/lethe/tailscale-autoconnect";
inline constexpr const char* decrypt_helper_file = "/usr/lib/lethe/lethe-decrypt";
inline constexpr const char* tailscale_unit = "tailscale-autoconnect.service";
// tailscaled's state: persisted, so the node logs in once per instance.
inline constexpr const char* tailscale_state_dir = "/var/lib/tailscale";

// DHCP with systemd-networkd on every Ethernet NIC (docs/recipes.md).
struct NetworkPlan {
    bool dhcp = true;
    bool required = false; // the recipe asked for it: a rootfs without networkd is refused
};
// In /usr: read-only, and in the erofs like the rest of the OS.
inline constexpr const char* dhcp_network_file = "/usr/lib/systemd/network/90-lethe-dhcp.network";

// Hetzner Cloud metadata at boot (docs/hetzner.md): present when the recipe
// says `hetzner: {metadata: true}`.
struct HetznerPlan {
    std::string metadata_url = "http://169.254.169.254/hetzner/v1/metadata";
};
inline constexpr const char* metadata_helper_file = "/usr/lib/lethe/lethe-metadata";
inline constexpr const char* hetzner_unit = "lethe-hetzner-metadata.service";
// Written at boot, in /run: a disk restored onto another server gets that server's address.
inline constexpr const char* hetzner_network_file = "/run/systemd/network/10-lethe-hetzner.network";
inline constexpr const char* hetzner_authorized_keys = "/root/.ssh/authorized_keys";

struct Plan {
    std::string name;
    std::string recipe_file;
    std::string seed;
    spec::RootfsSource rootfs;
    std::vector<std::string> overlays;
    spec::Kernel kernel;
    std::vector<std::string> firmware; // bios, uefi: what the ESP's boot loaders serve
    spec::Size disk_size_rule;
    std::optional<uint64_t> disk_size; // resolved by place_partitions()
    std::string disk_uuid;
    std::vector<PartitionPlan> partitions;
    spec::TmpfsRoot root;
    std::string persist_partition;
    std::string persist_mount;
    // lethe-init grows the persistent partition and its ext4 to the end of a
    // larger disk on the first boot: the layout allows it (persistence.grow)
    // and the partition is the last one, so nothing is in the way.
    bool persist_grow = false;
    std::vector<PersistEntry> persisted; // sorted by path
    InitrdPlan initrd;
    std::vector<std::string> outputs;
    std::optional<TailscalePlan> tailscale;
    NetworkPlan network;
    std::optional<HetznerPlan> hetzner;

    const PartitionPlan& partition(Role role) const;
    PartitionPlan& partition(Role role);
};

// The flags of `tailscale up` a recipe asks for, in a fixed order, extra_args last.
std::vector<std::string> tailscale_up_args(const spec::Tailscale& tailscale);

// Partitions are aligned to 1 MiB, as every partitioning tool does since 2010.
inline constexpr uint64_t alignment = 1024 * 1024;

// An ESP is FAT16 or larger: 32 MiB at least (builder/bootloader/esp.cpp sizes it).
inline constexpr uint64_t esp_min_size = 32 * alignment;

// The spec's choices turned into decisions: UUIDs, labels, modules, the
// persistence manifest. Offsets and sizes of 'auto' partitions stay unknown
// until their content is measured.
Plan make_plan(const spec::Recipe& recipe);

// Bytes each 'auto' partition needs, by partition name.
using ContentSizes = std::map<std::string, uint64_t>;

// Lays the partitions out on the disk. Partitions whose size is 'auto' and
// absent from `content` (and all after them) stay unplaced. Throws
// lethe::Error when the partitions do not fit the disk, giving the numbers.
void place_partitions(Plan& plan, const ContentSizes& content);

bool is_placed(const Plan& plan);

} // namespace lethe::plan
