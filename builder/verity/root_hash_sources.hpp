#pragma once
// Where an image says what its root hash is: the `usrhash=` of each boot
// loader's command line on the ESP (SYSLINUX's syslinux.cfg, systemd-boot's
// loader entry), read from the vfat partition with mtools (no mount, no
// root), and the manifest lethe build wrote beside the image.

#include "exec/command_runner.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::verity {

struct RootHashSource {
    std::string where;     // "/syslinux/syslinux.cfg on the ESP", "the manifest"
    std::string root_hash; // hex
};

// The ESP's files lethe's boot loaders read their command line from.
inline constexpr const char* syslinux_config_path = "/syslinux/syslinux.cfg";
inline constexpr const char* loader_entry_path = "/loader/entries/lethe.conf";

// usrhash= of the APPEND lines of a syslinux.cfg (keywords in any case), or
// of the `options` lines of a systemd-boot entry (which it joins, as
// systemd-boot does). nullopt without one; fail() when it is malformed.
std::optional<std::string> syslinux_usrhash(std::string_view config);
std::optional<std::string> loader_entry_usrhash(std::string_view entry);

// `mdir -b -/` and `mtype` of the FAT filesystem at OFFSET in IMAGE.
exec::Command list_esp_command(const std::filesystem::path& image, uint64_t offset);
exec::Command read_esp_file_command(const std::filesystem::path& image, uint64_t offset,
                                    const std::string& esp_path);

// The root hash of each boot loader configuration on the ESP that has one.
std::vector<RootHashSource> esp_root_hashes(exec::CommandRunner& runner,
                                            const std::filesystem::path& image, uint64_t offset);

// `verity.root_hash` of a manifest; fail_input when the file is not a
// manifest or has none (an image built without verity).
RootHashSource manifest_root_hash(const std::filesystem::path& manifest);
// The same, but nullopt for a manifest without a verity section.
std::optional<RootHashSource> find_manifest_root_hash(const std::filesystem::path& manifest);

} // namespace lethe::verity
