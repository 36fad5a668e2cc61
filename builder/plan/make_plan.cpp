#include "plan/plan.hpp"

#include "part/partition_types.hpp"
#include "util/error.hpp"
#include "util/uuid.hpp"

#include <algorithm>

namespace lethe::plan {
namespace {

// Kernel modules the initrd needs to mount each filesystem. Their own
// dependencies (jbd2, mbcache, crc32c...) are resolved from modules.dep.
std::string module_for(const std::string& filesystem) {
    if (filesystem == "vfat") return "vfat";
    if (filesystem == "none") return "";
    return filesystem;
}

// Disk drivers for the machines lethe images boot on: QEMU and clouds use
// virtio-blk or virtio-scsi (Hetzner: /dev/sda on virtio-scsi), some NVMe.
// Optional, because kernels build some of them in.
const std::vector<std::string> disk_drivers = {"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "nvme"};

// ext4 labels hold 16 bytes, vfat 11; erofs and squashfs follow ext4's limit here.
std::string filesystem_label(const std::string& name, const std::string& type) {
    size_t limit = type == "vfat" ? 11 : 16;
    std::string label = name.substr(0, limit);
    if (type == "vfat") std::transform(label.begin(), label.end(), label.begin(), ::toupper);
    return label;
}

const std::string esp_type = *part::type_guid_for("esp");

Role role_of(const spec::Partition& p, const spec::Layout& layout) {
    if (p.name == layout.persistence.partition) return Role::persist;
    if (p.name == layout.usr_partition) return Role::usr;
    if (p.type_guid == esp_type) return Role::esp;
    return Role::data;
}

// Booting from firmware needs an ESP: the layout's own, or one lethe puts at
// the start of the disk, sized to what it holds. A BIOS boots it through
// SYSLINUX, which needs FAT and the legacy-BIOS-bootable attribute.
std::vector<spec::Partition> with_esp(const spec::Recipe& recipe) {
    std::vector<spec::Partition> partitions = recipe.layout.disk.partitions;
    if (recipe.boot.firmware.empty()) return partitions;
    for (const auto& p : partitions) {
        if (p.type_guid != esp_type) continue;
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
    if (partitions.size() >= part::max_partitions)
        fail_input(
            "{}: lethe adds an ESP for boot.firmware, and {} partitions with it do not fit a GPT, "
            "which holds at most {}: list at most {}, or make one of them the ESP (type esp, vfat)",
            spec::to_string(partitions.back().origin), partitions.size() + 1, part::max_partitions,
            part::max_partitions - 1);
    spec::Partition esp{"esp", esp_type, "esp", {spec::SizeRule::automatic, 0}, "vfat", "", {}};
    partitions.insert(partitions.begin(), esp);
    return partitions;
}

bool covers(const std::string& listed, const std::string& path) {
    return listed == path || listed == "/" || path.rfind(listed + "/", 0) == 0;
}

// Tailscale keeps its node key in /var/lib/tailscale: without it, every boot
// would be a new node, and the auth key would be needed again.
void add_tailscale_state(std::vector<PersistEntry>& entries) {
    bool covered = std::any_of(entries.begin(), entries.end(), [](const PersistEntry& e) {
        return e.directory ? covers(e.path, tailscale_state_dir) : e.path == tailscale_state_dir;
    });
    if (!covered) entries.push_back({tailscale_state_dir, true, std::nullopt, std::nullopt, 0700});
}

std::vector<PersistEntry> persistence_manifest(const spec::Persistence& persistence, bool tailscale) {
    std::vector<PersistEntry> entries;
    for (const auto& d : persistence.directories) entries.push_back({d.path, true, d.user, d.group, d.mode});
    for (const auto& f : persistence.files) entries.push_back({f.path, false, f.user, f.group, f.mode});
    if (tailscale) add_tailscale_state(entries);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return entries;
}

InitrdPlan initrd_plan(const spec::Layout& layout, const std::vector<PartitionPlan>& partitions) {
    InitrdPlan initrd;
    for (const auto& p : partitions) {
        if (p.role != Role::usr && p.role != Role::persist) continue;
        std::string module = module_for(p.filesystem.type);
        if (!module.empty() && std::find(initrd.modules.begin(), initrd.modules.end(), module) == initrd.modules.end())
            initrd.modules.push_back(module);
    }
    for (const auto& m : layout.initrd.modules)
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

std::vector<std::string> tailscale_up_args(const spec::Tailscale& ts) {
    std::vector<std::string> args;
    if (!ts.hostname.empty()) args.push_back("--hostname=" + ts.hostname);
    if (!ts.advertise_tags.empty()) {
        std::string tags;
        for (const auto& tag : ts.advertise_tags) tags += (tags.empty() ? "" : ",") + tag;
        args.push_back("--advertise-tags=" + tags);
    }
    if (ts.advertise_exit_node) args.push_back("--advertise-exit-node");
    if (!ts.exit_node.empty()) args.push_back("--exit-node=" + ts.exit_node);
    if (ts.exit_node_allow_lan_access) args.push_back("--exit-node-allow-lan-access");
    if (!ts.login_server.empty()) args.push_back("--login-server=" + ts.login_server);
    if (ts.ssh) args.push_back("--ssh");
    args.insert(args.end(), ts.extra_args.begin(), ts.extra_args.end());
    return args;
}

std::string to_string(Role role) {
    switch (role) {
    case Role::usr: return "usr";
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

Plan make_plan(const spec::Recipe& recipe) {
    const spec::Layout& layout = recipe.layout;
    Plan plan;
    plan.name = recipe.name;
    plan.recipe_file = recipe.file;
    plan.seed = recipe.seed;
    plan.rootfs = recipe.rootfs;
    plan.overlays = recipe.overlays;
    plan.kernel = recipe.kernel;
    plan.firmware = recipe.boot.firmware;
    plan.disk_size_rule = layout.disk.size;
    plan.disk_uuid = derive_uuid(recipe.seed, "disk");
    for (const auto& p : with_esp(recipe)) {
        PartitionPlan out;
        out.name = p.name;
        out.type_guid = p.type_guid;
        out.type_name = p.type_name;
        out.uuid = derive_uuid(recipe.seed, "partition:" + p.name);
        out.role = role_of(p, layout);
        out.size_rule = p.size;
        bool bios = std::find(plan.firmware.begin(), plan.firmware.end(), "bios") != plan.firmware.end();
        if (out.role == Role::esp && bios) out.attributes = legacy_bios_bootable;
        out.filesystem.type = p.filesystem;
        if (p.filesystem != "none") {
            out.filesystem.label = filesystem_label(p.name, p.filesystem);
            out.filesystem.uuid = derive_uuid(recipe.seed, "filesystem:" + p.name);
        }
        out.filesystem.compression = p.compression;
        if (out.filesystem.compression.empty() && p.filesystem == "erofs") out.filesystem.compression = "lz4hc";
        if (out.filesystem.compression.empty() && p.filesystem == "squashfs") out.filesystem.compression = "zstd";
        plan.partitions.push_back(std::move(out));
    }
    plan.root = layout.root;
    plan.persist_partition = layout.persistence.partition;
    plan.persist_mount = layout.persistence.mount;
    plan.persist_grow = layout.persistence.grow && !plan.partitions.empty() &&
                        plan.partitions.back().role == Role::persist && plan.partitions.back().filesystem.type == "ext4";
    plan.persisted = persistence_manifest(layout.persistence, recipe.tailscale.has_value());
    plan.initrd = initrd_plan(layout, plan.partitions);
    plan.outputs = recipe.outputs;
    if (recipe.tailscale) plan.tailscale = TailscalePlan{recipe.tailscale->auth_key, tailscale_up_args(*recipe.tailscale)};
    plan.network = NetworkPlan{recipe.network.dhcp, recipe.network.dhcp_explicit};
    if (recipe.hetzner.metadata) plan.hetzner = HetznerPlan{};
    return plan;
}

} // namespace lethe::plan
