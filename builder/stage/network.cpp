#include "stage/network.hpp"

#include "stage/image_files.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

bool has_any(const fs::path& rootfs, std::initializer_list<const char*> paths) {
    for (const char* path : paths)
        if (has_entry(rootfs, path)) return true;
    return false;
}

} // namespace

bool has_networkd(const fs::path& rootfs) {
    return has_any(rootfs, {"usr/lib/systemd/systemd-networkd", "lib/systemd/systemd-networkd"}) &&
           has_any(rootfs, {"usr/lib/systemd/system/systemd-networkd.service",
                            "lib/systemd/system/systemd-networkd.service"});
}

std::vector<exec::Command> enable_networkd_commands(const fs::path& rootfs) {
    if (has_entry(rootfs, "etc/systemd/system/multi-user.target.wants/systemd-networkd.service")) return {};
    return {{{"systemctl", "--root=" + rootfs.string(), "enable", "systemd-networkd.service"}}};
}

bool install_network(const fs::path& rootfs, const plan::NetworkPlan& network, const fs::path& templates,
                     int64_t epoch, exec::CommandRunner& runner) {
    if (!network.dhcp) return false;
    if (!has_networkd(rootfs)) {
        if (network.required)
            fail_input("the recipe has 'network: {{dhcp: true}}' but the rootfs has no systemd-networkd "
                       "(/usr/lib/systemd/systemd-networkd and its unit): add the Debian package systemd "
                       "(Debian 12's ships networkd), or say 'dhcp: false'");
        spdlog::warn("the rootfs has no systemd-networkd: no DHCP; add the Debian package systemd, or say "
                     "'network: {dhcp: false}' to silence this");
        return false;
    }
    fs::path target = fs::path(plan::dhcp_network_file);
    install_file(rootfs, plan::dhcp_network_file, read_file(templates / target.filename()), 0644, epoch);
    set_times(rootfs, target.parent_path().string(), epoch);
    auto commands = enable_networkd_commands(rootfs);
    if (!commands.empty() && !exec::tool_exists("systemctl"))
        fail("enabling systemd-networkd in the image needs systemctl: install the Debian package systemd");
    for (const auto& command : commands) runner.run(command);
    spdlog::info("network: DHCP on Ethernet NICs ({}), systemd-networkd enabled", plan::dhcp_network_file);
    return true;
}

} // namespace lethe::stage
