#include "stage/hetzner.hpp"

#include "stage/image_files.hpp"
#include "stage/tree_root.hpp"
#include "stage/network.hpp"
#include "stage/tailscale.hpp"
#include "stage/units.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace lethe::stage {
void check_hetzner_rootfs(const fs::path& rootfs) {
    if (!has_networkd(rootfs) || (!has_entry(rootfs, "usr/bin/networkctl") && !has_entry(rootfs, "bin/networkctl")))
        fail_input("the recipe has 'hetzner: {{metadata: true}}', which configures IPv6 through "
                   "systemd-networkd, but the rootfs has no systemd-networkd or networkctl: add the Debian "
                   "package systemd (Debian 12's ships both)");
}

std::string install_hetzner_metadata(const fs::path& rootfs, const plan::HetznerPlan& hetzner,
                                     const fs::path& templates, const fs::path& metadata_helper, int64_t epoch) {
    check_hetzner_rootfs(rootfs);
    install_file(rootfs, plan::metadata_helper_file, read_file(metadata_helper), 0755, epoch);
    set_times(rootfs, fs::path(plan::metadata_helper_file).parent_path().string(), epoch);

    TreeRoot tree(rootfs);
    tree.make_directories("root/.ssh", 0700);
    tree.chmod("root/.ssh", 0700);
    tree.set_times("root/.ssh", epoch);

    const std::string unit_name = plan::hetzner_unit;
    const std::map<std::string, std::string> values = {
        {"HELPER", plan::metadata_helper_file},
        {"URL", hetzner.metadata_url},
        {"NETWORK_FILE", plan::hetzner_network_file},
        {"AUTHORIZED_KEYS", plan::hetzner_authorized_keys},
    };
    std::string text = render_template(read_file(templates / unit_name), values, unit_name);
    install_unit(rootfs, parse_unit_template(unit_name, text), epoch);
    spdlog::info("hetzner: {} enabled (IPv6 and SSH keys from {})", unit_name, hetzner.metadata_url);
    return unit_name;
}

} // namespace lethe::stage
