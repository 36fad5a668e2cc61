#pragma once
// Values whose limits are set outside lethe, by the kernel, the C library,
// GPT and lethe-init: checked when the recipe is read, so a value that
// cannot work is refused at file:line:column (exit status 2) with the limit
// and where it comes from, rather than found by a tool half-way through a
// build, or silently changed (a uid of 2^32 would become 0).

#include "spec/yaml_reader.hpp"

#include <cstddef>
#include <string>

namespace lethe::spec {

// A user or group of a persisted path (`what` is "user" or "group"): a name
// as /etc/passwd and /etc/group spell it, or a number that fits uid_t/gid_t.
std::string read_account(const Document& doc, const YAML::Node& node, const char* what);

// kernel.cmdline: one line of printable characters the kernel takes whole.
std::string read_kernel_cmdline(const Document& doc, const YAML::Node& node);

// kernel.version names /boot/vmlinuz-VERSION and lib/modules/VERSION: no '/'.
std::string read_kernel_version(const Document& doc, const YAML::Node& node);

// The image name names the output files (NAME.manifest.json, ...).
void check_image_name_length(const Document& doc, const YAML::Node& node, const std::string& name);

// persistence.mount: a place lethe-init mounts nothing else on and the booted
// system leaves alone.
void check_persistent_mount(const Document& doc, const YAML::Node& node, const std::string& mount);

// A partition type (a name or a GUID) that is not the all-zero GUID, which
// marks an unused entry.
void check_partition_type(const Document& doc, const YAML::Node& node, const std::string& type);

// At most catalog::max_partitions entries in disk.partitions.
void check_partition_count(const Document& doc, const YAML::Node& list);

} // namespace lethe::spec
