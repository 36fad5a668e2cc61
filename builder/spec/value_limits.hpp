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

// COMMAND_LINE_SIZE is 2048 on x86-64 (and arm64), with the terminating NUL.
// SYSLINUX puts "BOOT_IMAGE=/vmlinuz " before the line, systemd-boot adds
// " initrd=\initrd" after it: 64 bytes are kept for the boot loaders.
inline constexpr size_t command_line_size = 2048;
inline constexpr size_t boot_loader_reserve = 64;
inline constexpr size_t max_kernel_cmdline = command_line_size - 1 - boot_loader_reserve;

// kernel.cmdline: one line of printable characters the kernel takes whole,
// without usrhash= (lethe's own, for verity).
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
