#pragma once
// The plan: everything a build will do, as plain data computed from the spec
// with no I/O. `lethe plan` prints it; golden tests compare it.

#include "catalog/target.hpp"
#include "plan/feature_plan.hpp"
#include "spec/model.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lethe::plan {

enum class Role {
    usr,        // the read-only OS, mounted at /usr
    usr_verity, // the hash tree of a usr partition with `verity: true`, right after it
    persist, // the persistent partition
    esp,     // the EFI system partition: kernel, initrd and boot loaders
    data,    // any other partition: made with an empty filesystem
};
std::string to_string(Role role);

struct FilesystemPlan {
    std::string type; // a kind of catalog/filesystem_kinds.hpp
    std::string label;
    std::string uuid;
    std::string compression;
};

struct PartitionPlan {
    std::string name; // GPT partition label
    std::string type_guid; // resolved against the plan's Target
    std::string type_name; // as the layout wrote it
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

struct InitrdPlan {
    std::vector<std::string> modules;          // must load
    std::vector<std::string> optional_modules; // disk drivers: loaded when the kernel has them
    std::string compression;
    int timeout_seconds = 30;
    bool rescue_shell = false;
};

// What lethe fixes for every verity partition, as systemd-repart does.
inline constexpr uint32_t verity_data_block_size = 4096;
inline constexpr uint32_t verity_hash_block_size = 4096;
inline constexpr const char* verity_hash_algorithm = "sha256";

// dm-verity for /usr (`verity: true` on the usr partition). The partitions'
// UUIDs and the kernel's usrhash= come from the root hash, which only the
// build knows (verity::make_hash_image sets them); until then both UUIDs
// are empty.
struct VerityPlan {
    std::string data_partition; // "usr"
    std::string hash_partition; // "usr-verity"
    init::OnCorruption on_corruption = init::OnCorruption::eio;
    std::string root_hash; // hex; empty until the hash tree is made
};

struct KernelPlan {
    std::string version; // empty: the only (or newest) kernel in the rootfs
    std::string cmdline;
};

struct Plan {
    std::string name;
    std::string recipe_file;
    std::string seed;
    const catalog::Target* target = &catalog::native_target(); // the architecture it is built for
    spec::RootfsSource rootfs;
    std::vector<std::string> overlays;
    KernelPlan kernel;
    std::vector<catalog::Firmware> firmware; // what the ESP's boot loaders serve
    spec::Size disk_size_rule;
    std::optional<uint64_t> disk_size; // resolved by place_partitions()
    std::string disk_uuid;
    std::vector<PartitionPlan> partitions;
    std::optional<VerityPlan> verity; // nullopt: /usr has no hash tree
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
    // The optional features the recipe turns on (builder/features/), in
    // registry order; each adds its share above and stages itself.
    std::vector<std::shared_ptr<const FeaturePlan>> features;

    const PartitionPlan& partition(Role role) const;
    PartitionPlan& partition(Role role);
    bool wants(catalog::Firmware firmware) const;
};

// Partitions are aligned to 1 MiB, as every partitioning tool does since 2010.
inline constexpr uint64_t alignment = 1024 * 1024;

// An ESP is FAT16 or larger: 32 MiB at least (builder/bootloader/esp.cpp sizes it).
inline constexpr uint64_t esp_min_size = 32 * alignment;

// The spec's choices turned into decisions: UUIDs, labels, modules, the
// persistence manifest, with each feature's share merged in. Offsets and
// sizes of 'auto' partitions stay unknown until their content is measured.
// builder/features/registry.hpp's make_plan() passes the recipe's features.
Plan make_plan(const spec::Recipe& recipe, std::vector<std::shared_ptr<const FeaturePlan>> features = {});

// Bytes each 'auto' partition needs, by partition name.
using ContentSizes = std::map<std::string, uint64_t>;

// Lays the partitions out on the disk. Partitions whose size is 'auto' and
// absent from `content` (and all after them) stay unplaced. Throws
// lethe::Error when the partitions do not fit the disk, giving the numbers.
void place_partitions(Plan& plan, const ContentSizes& content);

bool is_placed(const Plan& plan);

// The kernel command line the boot loaders give: the recipe's, and
// usrhash= for a verity /usr. fail() for a verity plan whose root hash is
// not known yet (a loader configured before the hash tree was made).
std::string kernel_command_line(const Plan& plan);

} // namespace lethe::plan
