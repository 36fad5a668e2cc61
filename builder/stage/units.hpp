#pragma once
// lethe's own systemd units (templates/systemd/), installed into the image's
// /etc/systemd/system and enabled the way `systemctl enable` would.

#include "exec/command_runner.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lethe::stage {

struct UnitTemplate {
    std::string name;
    std::string text;
    std::vector<std::string> wanted_by; // from [Install] WantedBy=
    std::vector<std::string> requires_paths; // "# lethe-requires: PATH" lines: installed only if all exist
};

UnitTemplate parse_unit_template(const std::string& name, const std::string& text);

// Unit names from a list file: one per line, '#' comments.
std::vector<std::string> parse_unit_list(const std::string& text);

// Installs one unit into /etc/systemd/system and links it into the .wants/
// of its WantedBy= targets, as `systemctl enable` would.
void install_unit(const std::filesystem::path& rootfs, const UnitTemplate& unit, int64_t epoch);

// Installs every template whose requirements the rootfs meets and masks the
// units `masked` names; returns the names installed.
std::vector<std::string> install_units(const std::filesystem::path& rootfs, const std::filesystem::path& templates,
                                       const std::vector<std::string>& masked, int64_t epoch);

// `systemctl --root=ROOTFS --preset-mode=enable-only preset-all`: enables
// what the image's presets enable, as systemd itself does on a first boot.
// A lethe image rebuilds /etc from the factory copy at every boot, and only
// the first boot is a first boot, so presets applied at run time would be
// lost at the first reboot (systemd-networkd would stop coming up); applied
// here, they are part of the factory /etc. Empty for a rootfs without systemd.
std::vector<exec::Command> preset_commands(const std::filesystem::path& rootfs);

} // namespace lethe::stage
