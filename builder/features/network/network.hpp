#pragma once
// DHCP networking (docs/recipes.md, `network:`): a systemd-networkd .network
// file that brings up the Ethernet NICs with DHCP, in the read-only /usr,
// and systemd-networkd enabled. On unless the recipe says
// `network: {dhcp: false}`. The links that enable networkd go into
// /etc/systemd/system, which becomes the factory /etc restored at every boot
// (docs/boot.md), so they hold on every boot, not just the first.

#include "features/feature.hpp"

#include <filesystem>
#include <memory>
#include <vector>

namespace lethe::features::network {

// In /usr: read-only, and in the erofs like the rest of the OS.
inline constexpr const char* dhcp_network_file = "/usr/lib/systemd/network/90-lethe-dhcp.network";

class Network final : public plan::FeaturePlan {
public:
    bool dhcp = true;
    bool required = false; // the recipe asked for it: a rootfs without networkd is refused

    std::string_view key() const override { return "network"; }
    nlohmann::ordered_json to_json() const override;
    // Installs templates/network's DHCP file and enables networkd. A rootfs
    // without networkd: a warning when DHCP is only the default, an error
    // (exit status 2) when the recipe asked for it.
    void stage(StageContext& context) const override;
};

std::shared_ptr<const plan::FeaturePlan> plan_network(const PlanRequest& request);

// Whether the rootfs has systemd-networkd (binary and unit; Debian 12's
// systemd package ships both).
bool has_networkd(const std::filesystem::path& rootfs);

// `systemctl --root=ROOTFS enable systemd-networkd.service`, or nothing
// when it is already enabled (the presets usually did it).
std::vector<exec::Command> enable_networkd_commands(const std::filesystem::path& rootfs);

} // namespace lethe::features::network
