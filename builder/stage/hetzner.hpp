#pragma once
// Hetzner Cloud metadata in the staged tree (docs/hetzner.md): the static
// lethe-metadata helper in /usr/lib/lethe and lethe-hetzner-metadata.service,
// enabled. They need systemd-networkd (the unit writes a .network file and
// reloads it), so a rootfs without it is refused.

#include "plan/plan.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace lethe::stage {

// Refuses (exit status 2) a rootfs without systemd-networkd or networkctl.
void check_hetzner_rootfs(const std::filesystem::path& rootfs);

// Installs the helper and the unit rendered from `templates`
// (templates/hetzner), and makes /root/.ssh (0700) so that a layout that
// persists all of /root carries it too. Returns the unit's name.
std::string install_hetzner_metadata(const std::filesystem::path& rootfs, const plan::HetznerPlan& hetzner,
                                     const std::filesystem::path& templates,
                                     const std::filesystem::path& metadata_helper, int64_t epoch);

} // namespace lethe::stage
