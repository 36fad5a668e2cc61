#pragma once
// What the firewall needs of the rootfs, and what it puts into the image.

#include "features/firewall/firewall.hpp"
#include "features/requirement.hpp"
#include "features/staging.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::firewall {

// nft, from the Debian package nftables.
const std::vector<features::RootfsRequirement>& rootfs_requirements();

// "" when the staged tree has what the firewall needs; else the refusal
// (exit status 2) naming the package to add.
std::string check_rootfs(const std::filesystem::path& tree);

// The ruleset, the sysctl.d file for an exit node, and lethe-firewall.service
// rendered from UNIT_TEMPLATE (templates/firewall/lethe-firewall.service).
features::Staging staging(const FirewallPlan& plan, const std::string& unit_template);

} // namespace lethe::firewall
