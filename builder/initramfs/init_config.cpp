#include "initramfs/init_config.hpp"

#include <fmt/format.h>

namespace lethe::initramfs {
namespace {

std::string tmpfs_options(const spec::TmpfsRoot& root) {
    std::string options = fmt::format("size={},mode={:04o}", root.size, root.mode);
    for (const auto& option : root.options) options += "," + option;
    return options;
}

std::string partuuid(const std::string& uuid) { return "PARTUUID=" + uuid; }

} // namespace

InitConfig make_init_config(const plan::Plan& plan, const stage::SplitTree& tree,
                            const InitrdModules& modules, bool image_has_e2fsck) {
    InitConfig config;
    config.timeout_seconds = plan.initrd.timeout_seconds;
    if (plan.initrd.rescue_shell) config.rescue = "/usr/bin/sh";
    for (size_t i = 0; i < modules.paths_in_initrd.size(); ++i) {
        const auto& path = modules.paths_in_initrd[i];
        if (i >= modules.patterns.size() || modules.patterns[i].empty()) config.modules.push_back(path);
        else config.device_modules.push_back({path, modules.patterns[i]});
    }
    config.root_tmpfs_options = tmpfs_options(plan.root);
    const auto& usr = plan.partition(plan::Role::usr);
    config.usr_tag = partuuid(usr.uuid);
    config.usr_fstype = usr.filesystem.type;
    const auto& persist = plan.partition(plan::Role::persist);
    config.persist_tag = partuuid(persist.uuid);
    config.persist_fstype = persist.filesystem.type;
    config.persist_mount = plan.persist_mount;
    config.grow_persist = plan.persist_grow;
    if (image_has_e2fsck) config.fsck = "/usr/sbin/e2fsck";
    config.links = tree.links;
    for (const auto& name : tree.factory)
        config.factory.emplace_back(fmt::format("/{}/{}", stage::factory_dir, name), "/" + name);
    config.directories = tree.directories;
    config.directories.push_back({plan.persist_mount, 0755});
    config.binds = tree.persisted;
    return config;
}

std::string escape_field(const std::string& field) {
    std::string out;
    for (unsigned char c : field) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\\' || c == '#') out += fmt::format("\\{:03o}", c);
        else out += static_cast<char>(c);
    }
    return out;
}

std::string render_init_config(const InitConfig& c) {
    auto e = escape_field;
    std::string out = "# lethe-init configuration, written by lethe build: see initrd/README.md\n";
    out += fmt::format("timeout {}\nrescue_delay {}\n", c.timeout_seconds, c.rescue_delay_seconds);
    if (!c.rescue.empty()) out += fmt::format("rescue {}\n", e(c.rescue));
    for (const auto& module : c.modules) out += fmt::format("module {}\n", e(module));
    for (const auto& module : c.device_modules) {
        out += "module_if " + e(module.path);
        for (const auto& pattern : module.patterns) out += " " + e(pattern);
        out += "\n";
    }
    out += fmt::format("root_tmpfs {}\n", e(c.root_tmpfs_options));
    out += fmt::format("usr {} {}\n", e(c.usr_tag), c.usr_fstype);
    out += fmt::format("persist {} {} {}\n", e(c.persist_tag), c.persist_fstype, e(c.persist_mount));
    if (c.grow_persist) out += "grow_persist\n";
    if (!c.fsck.empty()) out += fmt::format("fsck {}\n", e(c.fsck));
    for (const auto& link : c.links) out += fmt::format("link {} {}\n", e(link.name), e(link.target));
    for (const auto& [source, dest] : c.factory) out += fmt::format("factory {} {}\n", e(source), e(dest));
    for (const auto& dir : c.directories) out += fmt::format("mkdir {} {:04o}\n", e(dir.path), dir.mode);
    for (const auto& b : c.binds)
        out += fmt::format("bind {} {} {} {} {:04o}\n", b.directory ? "dir" : "file", e(b.path), b.uid, b.gid, b.mode);
    out += fmt::format("init {}\n", e(c.init));
    return out;
}

} // namespace lethe::initramfs
