#include "features/network/network.hpp"

#include "stage/image_files.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/paths.hpp"

#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace lethe::features::network {
namespace {

bool has_any(const fs::path& rootfs, std::initializer_list<const char*> paths) {
    for (const char* path : paths)
        if (stage::has_entry(rootfs, path)) return true;
    return false;
}

} // namespace

std::shared_ptr<const plan::FeaturePlan> plan_network(const PlanRequest& request) {
    auto network = std::make_shared<Network>();
    if (!request.section) return network;
    const spec::Document& doc = *request.section->doc;
    spec::MapReader map(doc, request.section->node, "network", {"dhcp"});
    if (map.has("dhcp")) {
        network->dhcp = spec::read_bool(doc, map.get("dhcp"));
        network->required = network->dhcp;
    }
    return network;
}

nlohmann::ordered_json Network::to_json() const {
    if (!dhcp) return {{"dhcp", false}};
    return {{"dhcp", true},
            {"networkd", required ? "required" : "when the rootfs has it"},
            {"files", {dhcp_network_file}}};
}

bool has_networkd(const fs::path& rootfs) {
    return has_any(rootfs, {"usr/lib/systemd/systemd-networkd", "lib/systemd/systemd-networkd"}) &&
           has_any(rootfs, {"usr/lib/systemd/system/systemd-networkd.service",
                            "lib/systemd/system/systemd-networkd.service"});
}

std::vector<exec::Command> enable_networkd_commands(const fs::path& rootfs) {
    if (stage::has_entry(rootfs, "etc/systemd/system/multi-user.target.wants/systemd-networkd.service")) return {};
    return {{{"systemctl", "--root=" + rootfs.string(), "enable", "systemd-networkd.service"}}};
}

void Network::stage(StageContext& context) const {
    if (!dhcp) return;
    const fs::path& rootfs = context.rootfs;
    if (!has_networkd(rootfs)) {
        if (required)
            fail_input("the recipe has 'network: {{dhcp: true}}' but the rootfs has no systemd-networkd "
                       "(/usr/lib/systemd/systemd-networkd and its unit): add the Debian package systemd "
                       "(Debian 12's ships networkd), or say 'dhcp: false'");
        spdlog::warn("the rootfs has no systemd-networkd: no DHCP; add the Debian package systemd, or say "
                     "'network: {dhcp: false}' to silence this");
        return;
    }
    fs::path target(dhcp_network_file);
    stage::install_file(rootfs, dhcp_network_file, read_file(data_path("templates/network") / target.filename()), 0644,
                        context.epoch);
    stage::set_times(rootfs, target.parent_path().string(), context.epoch);
    // Checked here, not up front: only a rootfs that has networkd and does not enable it needs systemctl.
    auto commands = enable_networkd_commands(rootfs);
    if (!commands.empty()) exec::require_tools({{"systemctl", "systemd"}});
    for (const auto& command : commands) context.runner.run(command);
    spdlog::info("network: DHCP on Ethernet NICs ({}), systemd-networkd enabled", dhcp_network_file);
}

} // namespace lethe::features::network
