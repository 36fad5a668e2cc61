#include "spec/layout_parser.hpp"

#include "catalog/filesystem_kinds.hpp"
#include "catalog/partition_types.hpp"
#include "spec/mount_option_names.hpp"
#include "spec/value_limits.hpp"
#include "util/did_you_mean.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

#include <algorithm>
#include <regex>
#include <set>

namespace lethe::spec {
namespace {

std::string did_you_mean_types(const std::string& name) { return did_you_mean(name, catalog::type_names()); }

Partition parse_partition(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "partition", {"name", "type", "size", "filesystem", "compression", "verity"});
    Partition p;
    p.origin = doc.origin(node);
    const YAML::Node name = map.required("name");
    p.name = read_string(doc, name, "a partition name");
    // GPT labels hold 36 UTF-16 units; udev exposes them under /dev/disk/by-partlabel.
    static const std::regex valid_name("[A-Za-z0-9][A-Za-z0-9_.-]{0,35}");
    if (!std::regex_match(p.name, valid_name))
        doc.fail_at(name, "a partition name is 1 to 36 letters, digits, '_', '.' or '-'");
    const YAML::Node type = map.required("type");
    p.type_name = read_string(doc, type, "a partition type");
    // Resolved to a GUID in the plan, against the image's architecture.
    if (!catalog::is_partition_type(p.type_name))
        doc.fail_at(type, fmt::format("unknown partition type '{}': expected a GUID or one of the Discoverable Partitions Specification names{}",
                                      p.type_name, did_you_mean_types(p.type_name)));
    check_partition_type(doc, type, p.type_name);
    p.size = read_partition_size(doc, map.required("size"));
    p.filesystem = read_choice(doc, map.required("filesystem"), catalog::filesystem_names());
    const auto& kind = catalog::filesystem_kind(p.filesystem);
    if (map.has("compression")) {
        if (kind.compressions.empty())
            doc.fail_at(map.get("compression"), fmt::format("{} is not compressed: compression applies to a compressed filesystem", p.filesystem));
        p.compression = read_choice(doc, map.get("compression"), kind.compressions);
    }
    if (map.has("verity")) {
        p.verity = read_bool(doc, map.get("verity"));
        p.verity_origin = doc.origin(map.get("verity"));
    }
    return p;
}

Disk parse_disk(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "disk", {"size", "partitions"});
    Disk disk;
    disk.origin = doc.origin(node);
    const YAML::Node size = map.required("size");
    disk.size = read_string(doc, size, "a size") == "auto" ? Size{SizeRule::automatic, 0}
                                                            : Size{SizeRule::fixed, read_size(doc, size)};
    const YAML::Node list = map.required("partitions");
    if (!list.IsSequence() || list.size() == 0) doc.fail_at(list, "expected a non-empty list of partitions");
    check_partition_count(doc, list);
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
        Partition p = parse_partition(doc, list[i]);
        if (!names.insert(p.name).second) doc.fail_at(list[i], fmt::format("a partition named '{}' is already defined", p.name));
        if (p.size.rule == SizeRule::rest && i + 1 != list.size())
            doc.fail_at(list[i]["size"], "only the last partition can take the 'rest' of the disk");
        if (p.size.rule == SizeRule::rest && disk.size.rule == SizeRule::automatic)
            doc.fail_at(list[i]["size"], "'rest' needs a fixed disk size, but disk.size is auto");
        disk.partitions.push_back(std::move(p));
    }
    return disk;
}

TmpfsRoot parse_root(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "root", {"tmpfs"});
    MapReader tmpfs(doc, map.required("tmpfs"), "root.tmpfs", {"size", "mode", "options"});
    TmpfsRoot root;
    root.size = read_size(doc, tmpfs.required("size"));
    if (tmpfs.has("mode")) root.mode = read_mode(doc, tmpfs.get("mode"));
    if (tmpfs.has("options")) {
        root.options = read_string_list(doc, tmpfs.get("options"), "mount options");
        for (size_t i = 0; i < root.options.size(); ++i) {
            const std::string& option = root.options[i];
            if (std::any_of(option.begin(), option.end(),
                            [](unsigned char c) { return c <= 0x20 || c == 0x7f; }))
                doc.fail_at(tmpfs.get("options")[i],
                            "a mount option has no blanks or control characters");
            if (option.rfind("size=", 0) == 0 || option.rfind("mode=", 0) == 0 || option.find(',') != std::string::npos)
                doc.fail_at(tmpfs.get("options")[i], fmt::format("option '{}' belongs in root.tmpfs.size/mode, one option per item", option));
        }
    }
    return root;
}

PersistedPath parse_persisted(const Document& doc, const YAML::Node& node) {
    PersistedPath entry;
    entry.origin = doc.origin(node);
    if (node.IsScalar()) {
        entry.path = read_absolute_path(doc, node);
        return entry;
    }
    MapReader map(doc, node, "persisted path", {"path", "user", "group", "mode", "options"});
    entry.path = read_absolute_path(doc, map.required("path"));
    if (map.has("user")) entry.user = read_account(doc, map.get("user"), "user");
    if (map.has("group")) entry.group = read_account(doc, map.get("group"), "group");
    if (map.has("mode")) entry.mode = read_mode(doc, map.get("mode"));
    if (map.has("options")) entry.options = read_bind_mount_options(doc, map.get("options"));
    return entry;
}

// Persisted paths must be somewhere the tmpfs root can take a bind mount, and
// never nest (the order of nested bind mounts would silently matter).
void check_persisted(const Document& doc, const YAML::Node& node, const PersistedPath& entry,
                     const Persistence& persistence) {
    static const std::vector<std::string> forbidden = {"/usr", "/proc", "/sys", "/dev", "/run", "/tmp"};
    if (entry.path == "/") doc.fail_at(node, "'/' cannot be persisted: the root is a tmpfs by design");
    for (const auto& dir : forbidden)
        if (is_within(entry.path, dir)) doc.fail_at(node, fmt::format("'{}' cannot be persisted: {} is not part of the tmpfs root", entry.path, dir));
    if (is_within(entry.path, persistence.mount) || is_within(persistence.mount, entry.path))
        doc.fail_at(node, fmt::format("'{}' overlaps the persistent partition's mount point {}", entry.path, persistence.mount));
    // lethe-init binds MOUNT/PATH over PATH: that path must fit PATH_MAX too.
    if (persistence.mount.size() + entry.path.size() >= 4096)
        doc.fail_at(node, fmt::format("{}{} (where this path is kept) is {} bytes; Linux paths are at most 4095 "
                                      "(PATH_MAX, 4096 with the terminating NUL)",
                                      persistence.mount, "/...", persistence.mount.size() + entry.path.size()));
    for (const auto* list : {&persistence.directories, &persistence.files})
        for (const auto& other : *list)
            if (is_within(entry.path, other.path) || is_within(other.path, entry.path))
                doc.fail_at(node, fmt::format("'{}' overlaps '{}' (persisted at {}); list only the outer one", entry.path,
                                              other.path, to_string(other.origin)));
}

Persistence parse_persistence(const Document& doc, const YAML::Node& node, const Disk& disk) {
    MapReader map(doc, node, "persistence", {"partition", "mount", "grow", "directories", "files"});
    Persistence persistence;
    const YAML::Node partition = map.required("partition");
    persistence.partition = read_string(doc, partition, "a partition name");
    auto it = std::find_if(disk.partitions.begin(), disk.partitions.end(),
                           [&](const Partition& p) { return p.name == persistence.partition; });
    if (it == disk.partitions.end()) {
        std::vector<std::string> names;
        for (const auto& p : disk.partitions) names.push_back(p.name);
        doc.fail_at(partition, fmt::format("no partition named '{}' in disk.partitions{}", persistence.partition,
                                           did_you_mean(persistence.partition, names)));
    }
    if (it->filesystem != "ext4")
        doc.fail_at(partition, fmt::format("the persistent partition must be ext4, '{}' is {}", it->name, it->filesystem));
    const YAML::Node mount = map.required("mount");
    persistence.mount = read_absolute_path(doc, mount);
    check_persistent_mount(doc, mount, persistence.mount);
    if (map.has("grow")) persistence.grow = read_bool(doc, map.get("grow"));
    for (const char* key : {"directories", "files"}) {
        if (!map.has(key)) continue;
        const YAML::Node list = map.get(key);
        if (!list.IsSequence()) doc.fail_at(list, fmt::format("expected a list of paths for {}", key));
        for (const auto& item : list) {
            PersistedPath entry = parse_persisted(doc, item);
            check_persisted(doc, item, entry, persistence);
            (std::string(key) == "files" ? persistence.files : persistence.directories).push_back(entry);
        }
    }
    return persistence;
}

InitrdOptions parse_initrd(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "initrd", {"timeout", "modules", "compression", "rescue_shell"});
    InitrdOptions initrd;
    if (map.has("timeout")) initrd.timeout_seconds = read_int(doc, map.get("timeout"), 1, 3600);
    if (map.has("modules")) initrd.modules = read_string_list(doc, map.get("modules"), "kernel module names");
    if (map.has("compression")) initrd.compression = read_choice(doc, map.get("compression"), {"zstd", "xz", "gzip"});
    if (map.has("rescue_shell")) initrd.rescue_shell = read_bool(doc, map.get("rescue_shell"));
    return initrd;
}

// The section says what the kernel does on a mismatch; it means nothing
// without a partition that has a hash tree.
VerityOptions parse_verity(const Document& doc, const YAML::Node& node, const Disk& disk) {
    MapReader map(doc, node, "verity", {"on_corruption"});
    if (std::none_of(disk.partitions.begin(), disk.partitions.end(), [](const Partition& p) { return p.verity; }))
        doc.fail_at(node, "'verity' applies to a partition with 'verity: true', and none has it");
    VerityOptions verity;
    if (map.has("on_corruption"))
        verity.on_corruption =
            init::parse_on_corruption(read_choice(doc, map.get("on_corruption"), init::on_corruption_names()));
    return verity;
}

const std::vector<std::string> layout_keys = {"disk", "root", "persistence", "initrd", "verity"};

} // namespace

bool looks_like_layout(const YAML::Node& root) {
    if (!root.IsMap()) return false;
    for (const auto& entry : root) {
        if (!entry.first.IsScalar()) return false;
        const std::string& key = entry.first.Scalar();
        bool known = std::find(layout_keys.begin(), layout_keys.end(), key) != layout_keys.end();
        if (!known && closest_match(key, layout_keys).empty()) return false;
    }
    return true;
}

Layout parse_layout(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "layout", layout_keys);
    Layout layout;
    layout.file = doc.path();
    layout.disk = parse_disk(doc, map.required("disk"));
    layout.root = parse_root(doc, map.required("root"));
    layout.persistence = parse_persistence(doc, map.required("persistence"), layout.disk);
    if (map.has("initrd")) layout.initrd = parse_initrd(doc, map.get("initrd"));
    if (map.has("verity")) layout.verity = parse_verity(doc, map.get("verity"), layout.disk);
    return layout;
}

} // namespace lethe::spec
