#pragma once
// Networking in the staged tree (docs/recipes.md, `network:`): a
// systemd-networkd .network file that brings up the Ethernet NICs with DHCP,
// in the read-only /usr, and systemd-networkd enabled. The links that enable
// it go into /etc/systemd/system, which becomes the factory /etc restored at
// every boot (docs/boot.md), so they hold on every boot, not just the first.

#include "exec/command_runner.hpp"
#include "plan/plan.hpp"

#include <cstdint>
#include <filesystem>
#include <vector>

namespace lethe::stage {

// Whether the rootfs has systemd-networkd (binary and unit; Debian 12's
// systemd package ships both).
bool has_networkd(const std::filesystem::path& rootfs);

// `systemctl --root=ROOTFS enable systemd-networkd.service`, or nothing
// when it is already enabled (the presets usually did it).
std::vector<exec::Command> enable_networkd_commands(const std::filesystem::path& rootfs);

// Installs templates/network's DHCP file and enables networkd when the plan
// asks for DHCP. A rootfs without networkd: a warning when DHCP is only the
// default, an error (exit status 2) when the recipe asked for it. Returns
// whether DHCP was set up.
bool install_network(const std::filesystem::path& rootfs, const plan::NetworkPlan& network,
                     const std::filesystem::path& templates, int64_t epoch, exec::CommandRunner& runner);

} // namespace lethe::stage
