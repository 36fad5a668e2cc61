#pragma once
// Mount options on persisted paths (`persistence.directories[].options`,
// `files[].options`): lethe-init bind-mounts each path, then remounts the
// bind with these flags. Names are checked at plan time against libmount's
// own option maps, the names mount(8) knows, so a typo is caught with a
// suggestion (`noexe` -> `noexec`) rather than at boot.

#include "spec/yaml_reader.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lethe::spec {

// The per-mount flags a bind remount can set: noexec, nosuid, nodev, ro.
const std::vector<std::string>& bind_mount_option_names();

// Whether libmount knows NAME (mnt_get_builtin_optmap: MNT_LINUX_MAP or
// MNT_USERSPACE_MAP), without any "=value".
bool libmount_knows(std::string_view name);

// "" when NAME is a bind mount option lethe applies; else why not, with a
// did-you-mean: "unknown mount option 'noexe' (did you mean 'noexec'?)".
std::string check_bind_mount_option(std::string_view name);

// An `options:` list: such names, none twice, errors at file:line:column.
std::vector<std::string> read_bind_mount_options(const Document& doc, const YAML::Node& node);

} // namespace lethe::spec
