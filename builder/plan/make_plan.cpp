#include "plan/plan.hpp"

#include "catalog/filesystem_kinds.hpp"
#include "catalog/partition_types.hpp"
#include "spec/value_limits.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"
#include "util/uuid.hpp"

#include <algorithm>

namespace lethe::plan {
namespace {

// Disk drivers for the machines lethe images boot on: QEMU and clouds use
// virtio-blk or virtio-scsi (Hetzner: /dev/sda on virtio-scsi), some NVMe.
// Optional, because kernels build some of them in.
const std::vector<std::string> disk_drivers = {"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "nvme"};

std::string filesystem_label(const std::string& name, const catalog::FilesystemKind& kind) {
    std::string label = name.substr(0, kind.label_limit);
    if (kind.upper_case_label) std::transform(label.begin(), label.end(), label.begin(), ::toupper);
    return label;
}

const std::string esp_type = *catalog::generic_type_guid("esp");

Role role_of(const spec::Partition& p, const std::string& type_guid, const spec::Layout& layout,
             const catalog::Target& target) {
    if (p.name == layout.persistence.partition) return Role::persist;
    if (catalog::is_usr_type(target, type_guid)) return Role::usr;
    if (type_guid == esp_type) return Role::esp;
    return Role::data;
}

// The OS partition: exactly one of the target's usr type, of a kind that can hold it.
void check_usr_partition(const spec::Layout& layout, const std::vector<PartitionPlan>& partitions,
                         const catalog::Target& target) {
    auto usr = std::count_if(partitions.begin(), partitions.end(), [](const auto& p) { return p.role == Role::usr; });
    if (usr != 1)
        fail_input("{}: the layout needs exactly one partition of type 'usr' for the OS ({}'s usr type is {}), found {}",
                   spec::to_string(layout.disk.origin), target.name, target.types.usr, usr);
    for (const auto& p : layout.disk.partitions)
        if (catalog::is_usr_type(target, *catalog::type_guid(target, p.type_name)) &&
            !catalog::filesystem_kind(p.filesystem).can_hold_usr)
            fail_input("{}: the usr partition '{}' needs a filesystem erofs, squashfs or ext4, not {}",
                       spec::to_string(p.origin), p.name, p.filesystem);
}

PartitionPlan partition_plan(const spec::Partition& p, const spec::Recipe& recipe, const catalog::Target& target,
                             bool bios) {
    PartitionPlan out;
    out.name = p.name;
    out.type_guid = *catalog::type_guid(target, p.type_name); // the parser checked the name
    out.type_name = p.type_name;
    out.uuid = derive_uuid(recipe.seed, "partition:" + p.name);
    out.role = role_of(p, out.type_guid, recipe.layout, target);
    out.size_rule = p.size;
    if (out.role == Role::esp && bios) out.attributes = legacy_bios_bootable;
    const auto& kind = catalog::filesystem_kind(p.filesystem);
    out.filesystem.type = p.filesystem;
    if (kind.id != catalog::FilesystemId::none) {
        out.filesystem.label = filesystem_label(p.name, kind);
        out.filesystem.uuid = derive_uuid(recipe.seed, "filesystem:" + p.name);
    }
    out.filesystem.compression = p.compression.empty() ? std::string(kind.default_compression) : p.compression;
    return out;
}

// Booting from firmware needs an ESP: the layout's own, or one lethe puts at
// the start of the disk, sized to what it holds. A BIOS boots it through
// SYSLINUX, which needs FAT and the legacy-BIOS-bootable attribute.
std::vector<spec::Partition> with_esp(const spec::Recipe& recipe, const std::vector<catalog::Firmware>& firmware) {
    std::vector<spec::Partition> partitions = recipe.layout.disk.partitions;
    if (firmware.empty()) return partitions;
    for (const auto& p : partitions) {
        if (catalog::generic_type_guid(p.type_name) != esp_type && catalog::normalize_guid(p.type_name) != esp_type)
            continue;
        if (p.filesystem != "vfat")
            fail_input("{}: partition '{}' is the ESP, which firmware reads only as vfat, not {}",
                       spec::to_string(p.origin), p.name, p.filesystem);
        return partitions;
    }
    for (const auto& p : partitions)
        if (p.name == "esp")
            fail_input("{}: lethe adds an ESP named 'esp' for boot.firmware, but partition 'esp' has type {}: "
                       "give it type esp or another name",
                       spec::to_string(p.origin), p.type_name);
    if (partitions.size() >= catalog::max_partitions)
        fail_input(
            "{}: lethe adds an ESP for boot.firmware, and {} partitions with it do not fit a GPT, "
            "which holds at most {}: list at most {}, or make one of them the ESP (type esp, vfat)",
            spec::to_string(partitions.back().origin), partitions.size() + 1, catalog::max_partitions,
            catalog::max_partitions - 1);
    spec::Partition esp{"esp", "esp", {spec::SizeRule::automatic, 0}, "vfat", "", false, {}, {}};
    partitions.insert(partitions.begin(), esp);
    return partitions;
}

// `verity: true` puts the partition's hash tree on a usr-verity partition
// right after it (the Discoverable Partitions Specification's pair), sized
// to the tree once it is made. Both UUIDs come from the root hash.
std::optional<VerityPlan> add_verity_partition(const spec::Recipe& recipe, std::vector<PartitionPlan>& partitions,
                                               const catalog::Target& target) {
    const spec::Partition* data = nullptr;
    for (const auto& p : recipe.layout.disk.partitions) {
        if (!p.verity) continue;
        if (!catalog::is_usr_type(target, *catalog::type_guid(target, p.type_name)))
            fail_input("{}: 'verity: true' protects the usr partition; '{}' has type {}",
                       spec::to_string(p.verity_origin), p.name, p.type_name);
        data = &p;
    }
    if (!data) return std::nullopt;
    const std::string hash_name = "usr-verity";
    for (const auto& p : recipe.layout.disk.partitions) {
        if (p.name == hash_name)
            fail_input("{}: lethe adds a partition '{}' for the hash tree of '{}' (verity: true): give this one "
                       "another name",
                       spec::to_string(p.origin), hash_name, data->name);
        if (*catalog::type_guid(target, p.type_name) == target.types.usr_verity)
            fail_input("{}: lethe adds the usr-verity partition for 'verity: true' on '{}': leave '{}' out",
                       spec::to_string(p.origin), data->name, p.name);
    }
    if (partitions.size() >= catalog::max_partitions)
        fail_input("{}: 'verity: true' adds a partition, and {} partitions do not fit a GPT, which holds at most {}",
                   spec::to_string(data->verity_origin), partitions.size() + 1, catalog::max_partitions);
    auto usr = std::find_if(partitions.begin(), partitions.end(), [](const auto& p) { return p.role == Role::usr; });
    usr->uuid.clear();
    PartitionPlan hash;
    hash.name = hash_name;
    hash.type_guid = std::string(target.types.usr_verity);
    hash.type_name = "usr-verity";
    hash.role = Role::usr_verity;
    hash.size_rule = {spec::SizeRule::automatic, 0};
    hash.filesystem.type = "none";
    partitions.insert(usr + 1, hash);
    return VerityPlan{data->name, hash_name, recipe.layout.verity.on_corruption, {}};
}

// A feature's path is added unless a listed directory already holds it.
void add_feature_path(std::vector<PersistEntry>& entries, const PersistEntry& wanted) {
    bool covered = std::any_of(entries.begin(), entries.end(), [&](const PersistEntry& e) {
        return e.directory ? is_within(wanted.path, e.path) : e.path == wanted.path;
    });
    if (!covered) entries.push_back(wanted);
}

std::vector<PersistEntry> persistence_manifest(const spec::Persistence& persistence,
                                               const std::vector<std::shared_ptr<const FeaturePlan>>& features) {
    std::vector<PersistEntry> entries;
    for (const auto& d : persistence.directories) entries.push_back({d.path, true, d.user, d.group, d.mode, d.options});
    for (const auto& f : persistence.files) entries.push_back({f.path, false, f.user, f.group, f.mode, f.options});
    for (const auto& feature : features)
        for (const auto& wanted : feature->persisted()) add_feature_path(entries, wanted);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return entries;
}

InitrdPlan initrd_plan(const spec::Layout& layout, const std::vector<PartitionPlan>& partitions, bool verity,
                       const std::vector<std::shared_ptr<const FeaturePlan>>& features) {
    InitrdPlan initrd;
    for (const auto& p : partitions) {
        if (p.role != Role::usr && p.role != Role::persist) continue;
        // Their own dependencies (jbd2, mbcache, crc32c...) are resolved from modules.dep.
        std::string module(catalog::filesystem_kind(p.filesystem.type).module);
        if (!module.empty() && std::find(initrd.modules.begin(), initrd.modules.end(), module) == initrd.modules.end())
            initrd.modules.push_back(module);
    }
    std::vector<std::string> wanted;
    // lethe-init maps /usr through device-mapper's verity target (dm_bufio and reed_solomon come from modules.dep).
    if (verity) wanted = {"dm_mod", "dm_verity"};
    wanted.insert(wanted.end(), layout.initrd.modules.begin(), layout.initrd.modules.end());
    for (const auto& feature : features) {
        auto modules = feature->initrd_modules();
        wanted.insert(wanted.end(), modules.begin(), modules.end());
    }
    for (const auto& m : wanted)
        if (std::find(initrd.modules.begin(), initrd.modules.end(), m) == initrd.modules.end())
            initrd.modules.push_back(m);
    for (const auto& driver : disk_drivers) // a driver the layout requires is not optional
        if (std::find(initrd.modules.begin(), initrd.modules.end(), driver) == initrd.modules.end())
            initrd.optional_modules.push_back(driver);
    initrd.compression = layout.initrd.compression;
    initrd.timeout_seconds = layout.initrd.timeout_seconds;
    initrd.rescue_shell = layout.initrd.rescue_shell;
    return initrd;
}

} // namespace

std::string to_string(Role role) {
    switch (role) {
    case Role::usr: return "usr";
    case Role::usr_verity: return "usr-verity";
    case Role::persist: return "persist";
    case Role::esp: return "esp";
    case Role::data: return "data";
    }
    return "data";
}

const PartitionPlan& Plan::partition(Role role) const {
    for (const auto& p : partitions)
        if (p.role == role) return p;
    fail("internal error: the plan has no {} partition", to_string(role));
}

PartitionPlan& Plan::partition(Role role) {
    return const_cast<PartitionPlan&>(static_cast<const Plan&>(*this).partition(role));
}

std::string kernel_command_line(const Plan& plan) {
    if (!plan.verity) return plan.kernel.cmdline;
    if (plan.verity->root_hash.empty())
        fail("internal error: the kernel command line is asked for before the root hash of '{}' is known",
             plan.verity->data_partition);
    return plan.kernel.cmdline + (plan.kernel.cmdline.empty() ? "" : " ") + "usrhash=" + plan.verity->root_hash;
}

bool Plan::wants(catalog::Firmware wanted) const {
    return std::find(firmware.begin(), firmware.end(), wanted) != firmware.end();
}

Plan make_plan(const spec::Recipe& recipe, std::vector<std::shared_ptr<const FeaturePlan>> features) {
    const spec::Layout& layout = recipe.layout;
    Plan plan;
    const catalog::Target& target = *plan.target;
    plan.name = recipe.name;
    plan.recipe_file = recipe.file;
    plan.seed = recipe.seed;
    plan.rootfs = recipe.rootfs;
    plan.overlays = recipe.overlays;
    plan.kernel = {recipe.kernel.version,
                   recipe.kernel.cmdline.value_or("console=tty0 " + catalog::serial_console_arguments(target))};
    plan.firmware = recipe.boot.firmware.value_or(target.firmware);
    for (auto firmware : plan.firmware)
        if (std::find(target.firmware.begin(), target.firmware.end(), firmware) == target.firmware.end())
            fail_input("{}: {} machines do not start from {}", spec::to_string(recipe.boot.origin), target.name,
                       catalog::to_string(firmware));
    plan.disk_size_rule = layout.disk.size;
    plan.disk_uuid = derive_uuid(recipe.seed, "disk");
    for (const auto& p : with_esp(recipe, plan.firmware))
        plan.partitions.push_back(partition_plan(p, recipe, target, plan.wants(catalog::Firmware::bios)));
    check_usr_partition(layout, plan.partitions, target);
    plan.verity = add_verity_partition(recipe, plan.partitions, target);
    constexpr size_t usrhash_bytes = 9 + 64; // " usrhash=" and 64 hex digits
    if (plan.verity && plan.kernel.cmdline.size() + usrhash_bytes > spec::max_kernel_cmdline)
        fail_input("{}: kernel.cmdline is {} bytes, and with the usrhash= that 'verity: true' adds ({} bytes) it "
                   "exceeds the {} the boot loaders leave",
                   recipe.file, plan.kernel.cmdline.size(), usrhash_bytes, spec::max_kernel_cmdline);
    plan.root = layout.root;
    plan.persist_partition = layout.persistence.partition;
    plan.persist_mount = layout.persistence.mount;
    plan.persist_grow = layout.persistence.grow && !plan.partitions.empty() &&
                        plan.partitions.back().role == Role::persist && plan.partitions.back().filesystem.type == "ext4";
    plan.persisted = persistence_manifest(layout.persistence, features);
    plan.initrd = initrd_plan(layout, plan.partitions, plan.verity.has_value(), features);
    plan.outputs = recipe.outputs;
    plan.features = std::move(features);
    return plan;
}

} // namespace lethe::plan
