#include "plan/plan_json.hpp"

#include <fmt/format.h>

namespace lethe::plan {
namespace {

using Json = nlohmann::ordered_json;

template <typename T> Json optional(const std::optional<T>& value) { return value ? Json(*value) : Json(nullptr); }

std::string mode_string(uint32_t mode) { return fmt::format("{:04o}", mode); }

std::string size_rule(const spec::Size& size) {
    switch (size.rule) {
    case spec::SizeRule::automatic: return "auto";
    case spec::SizeRule::rest: return "rest";
    case spec::SizeRule::fixed: return "fixed";
    }
    return "fixed";
}

Json rootfs_json(const spec::RootfsSource& rootfs) {
    switch (rootfs.kind) {
    case spec::RootfsSource::Kind::tarball: return {{"tarball", rootfs.path}};
    case spec::RootfsSource::Kind::directory: return {{"directory", rootfs.path}};
    case spec::RootfsSource::Kind::mmdebstrap: break;
    }
    return {{"mmdebstrap",
             {{"suite", rootfs.suite}, {"variant", rootfs.variant}, {"mirror", rootfs.mirror}, {"packages", rootfs.packages}}}};
}

Json string_or_null(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

// The dm-verity side of the data partition or its hash partition.
Json verity_json(const PartitionPlan& p, const VerityPlan& verity) {
    bool data = p.role == Role::usr;
    Json json = data ? Json{{"hash_partition", verity.hash_partition}} : Json{{"data_partition", verity.data_partition}};
    json["algorithm"] = verity_hash_algorithm;
    json["data_block_size"] = verity_data_block_size;
    json["hash_block_size"] = verity_hash_block_size;
    if (data) {
        json["on_corruption"] = init::to_string(verity.on_corruption);
        json["root_hash"] = string_or_null(verity.root_hash);
    }
    json["uuid_from"] = data ? "the root hash's first 128 bits" : "the root hash's last 128 bits";
    return json;
}

Json partition_json(const Plan& plan, const PartitionPlan& p, size_t number) {
    Json filesystem = {{"type", p.filesystem.type}};
    if (!p.filesystem.label.empty()) filesystem["label"] = p.filesystem.label;
    if (!p.filesystem.uuid.empty()) filesystem["uuid"] = p.filesystem.uuid;
    if (!p.filesystem.compression.empty()) filesystem["compression"] = p.filesystem.compression;
    Json json = {{"number", number},
            {"name", p.name},
            {"role", to_string(p.role)},
            {"type", p.type_name},
            {"type_guid", p.type_guid},
            {"uuid", string_or_null(p.uuid)},
            {"size_rule", size_rule(p.size_rule)},
            {"offset", optional(p.offset)},
            {"size", optional(p.size)},
            {"attributes", p.attributes & legacy_bios_bootable ? Json::array({"legacy-bios-bootable"}) : Json::array()},
            {"filesystem", filesystem}};
    bool verity = plan.verity && (p.role == Role::usr || p.role == Role::usr_verity);
    if (verity) json["verity"] = verity_json(p, *plan.verity);
    return json;
}

Json persistence_json(const Plan& plan) {
    Json entries = Json::array();
    for (const auto& e : plan.persisted) {
        Json entry = {{"path", e.path},
                      {"kind", e.directory ? "directory" : "file"},
                      {"source", plan.persist_mount + e.path}};
        if (e.user) entry["user"] = *e.user;
        if (e.group) entry["group"] = *e.group;
        if (e.mode) entry["mode"] = mode_string(*e.mode);
        if (!e.options.empty()) entry["options"] = e.options;
        entries.push_back(entry);
    }
    return {{"partition", plan.persist_partition},
            {"mount", plan.persist_mount},
            {"grow", plan.persist_grow},
            {"entries", entries}};
}

// The boot loaders' command line adds usrhash= to the recipe's.
Json kernel_json(const Plan& plan) {
    Json json = {{"version", plan.kernel.version.empty() ? Json("newest in rootfs") : Json(plan.kernel.version)},
                 {"cmdline", plan.kernel.cmdline}};
    if (plan.verity) json["usrhash"] = string_or_null(plan.verity->root_hash);
    return json;
}

// What each firmware runs; the files are on the ESP (builder/bootloader/esp.hpp).
Json boot_json(const Plan& plan) {
    Json loaders = Json::object();
    Json firmware = Json::array();
    for (auto f : plan.firmware) {
        firmware.push_back(catalog::to_string(f));
        loaders[catalog::to_string(f)] =
            f == catalog::Firmware::bios
                ? std::string("syslinux: gptmbr.bin in the MBR, /syslinux on the ESP")
                : fmt::format("systemd-boot: {}, /loader/entries/lethe.conf", plan.target->efi_boot_file);
    }
    return {{"firmware", firmware}, {"loaders", loaders},
            {"esp_files", plan.firmware.empty() ? Json::array() : Json::array({"/vmlinuz", "/initrd"})}};
}

} // namespace

Json to_json(const Plan& plan) {
    Json partitions = Json::array();
    for (size_t i = 0; i < plan.partitions.size(); ++i) partitions.push_back(partition_json(plan, plan.partitions[i], i + 1));
    Json outputs = Json::array();
    for (const auto& format : plan.outputs) outputs.push_back(plan.name + "." + format);
    for (const char* extra : {"vmlinuz", "initrd", "manifest.json"}) outputs.push_back(plan.name + "." + extra);
    outputs.push_back("SHA256SUMS");
    Json json = {
        {"name", plan.name},
        {"seed", plan.seed},
        {"architecture", plan.target->name},
        {"rootfs", rootfs_json(plan.rootfs)},
        {"overlays", plan.overlays},
        {"kernel", kernel_json(plan)},
        {"boot", boot_json(plan)},
        {"disk", {{"size_rule", size_rule(plan.disk_size_rule)}, {"size", optional(plan.disk_size)},
                  {"table", "gpt"}, {"uuid", plan.disk_uuid}, {"alignment", alignment}}},
        {"partitions", partitions},
        {"root", {{"filesystem", "tmpfs"}, {"size", plan.root.size}, {"mode", mode_string(plan.root.mode)},
                  {"options", plan.root.options}}},
        {"persistence", persistence_json(plan)},
        {"initrd", {{"init", "lethe-init"},
                    {"compression", plan.initrd.compression},
                    {"timeout_seconds", plan.initrd.timeout_seconds},
                    {"rescue_shell", plan.initrd.rescue_shell},
                    {"modules", plan.initrd.modules},
                    {"optional_modules", plan.initrd.optional_modules},
                    {"contents", {"init", "lethe/init.conf", "lib/modules/<kernel>/... (modules above and their dependencies)"}}}},
        {"outputs", outputs},
    };
    for (const auto& feature : plan.features) json[std::string(feature->key())] = feature->to_json();
    return json;
}

} // namespace lethe::plan
