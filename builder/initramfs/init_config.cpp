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

init::InitConfig make_init_config(const plan::Plan& plan, const stage::SplitTree& tree,
                                  const InitrdModules& modules, bool image_has_e2fsck) {
    init::InitConfig config;
    config.timeout_seconds = plan.initrd.timeout_seconds;
    if (plan.initrd.rescue_shell) config.rescue = "/usr/bin/sh";
    for (size_t i = 0; i < modules.paths_in_initrd.size(); ++i) {
        const auto& path = modules.paths_in_initrd[i];
        if (i >= modules.patterns.size() || modules.patterns[i].empty()) config.modules.push_back(path);
        else config.device_modules.push_back({path, modules.patterns[i]});
    }
    config.root_tmpfs_options = tmpfs_options(plan.root);
    const auto& usr = plan.partition(plan::Role::usr);
    // A verity /usr is found by the UUIDs usrhash= gives at boot: the root
    // hash is not known yet, and the initrd must not depend on it.
    if (plan.verity) config.usr_verity = plan.verity->on_corruption;
    config.usr = {plan.verity ? std::string() : partuuid(usr.uuid), usr.filesystem.type};
    const auto& persist = plan.partition(plan::Role::persist);
    config.persist = {partuuid(persist.uuid), persist.filesystem.type};
    config.persist_mount = plan.persist_mount;
    config.grow_persist = plan.persist_grow;
    if (image_has_e2fsck) config.fsck = "/usr/sbin/e2fsck";
    config.links = tree.links;
    for (const auto& name : tree.factory)
        config.factories.push_back({fmt::format("/{}/{}", stage::factory_dir, name), "/" + name});
    config.directories = tree.directories;
    config.directories.push_back({plan.persist_mount, 0755});
    config.binds = tree.persisted;
    return config;
}

} // namespace lethe::initramfs
