#include "features/hetzner/hetzner.hpp"

#include "features/network/network.hpp"
#include "spec/parse.hpp"
#include "stage/image_files.hpp"
#include "stage/template.hpp"
#include "stage/tree_root.hpp"
#include "stage/units.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/paths.hpp"

#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace lethe::features::hetzner {
std::shared_ptr<const plan::FeaturePlan> plan_hetzner(const PlanRequest& request) {
    if (!request.section) return nullptr;
    const spec::Document& doc = *request.section->doc;
    spec::MapReader map(doc, request.section->node, "hetzner", {"metadata"});
    if (!map.has("metadata")) return nullptr;
    const YAML::Node metadata = map.get("metadata");
    if (!spec::read_bool(doc, metadata)) return nullptr;
    if (!spec::persists_directory(request.recipe.layout, "/root/.ssh"))
        doc.fail_at(metadata,
                    "hetzner.metadata writes the server's SSH keys to /root/.ssh/authorized_keys, but "
                    "the layout does not persist /root/.ssh, so they would vanish at the next boot: add "
                    "'{path: /root/.ssh, mode: \"0700\"}' to persistence.directories (as "
                    "layouts/debian-server.yaml does)");
    return std::make_shared<Hetzner>();
}

nlohmann::ordered_json Hetzner::to_json() const {
    return {{"metadata", true},
            {"url", metadata_url},
            {"unit", unit},
            {"files", {metadata_helper_file, std::string("/etc/systemd/system/") + unit}},
            {"writes_at_boot", {network_file, authorized_keys}}};
}

void Hetzner::stage(StageContext& context) const {
    context.units.push_back(install_hetzner_metadata(context.rootfs, *this, data_path("templates/hetzner"),
                                                     helper_program("lethe-metadata", context.plan.target->helper_subdirectory), context.epoch));
}

void check_hetzner_rootfs(const fs::path& rootfs) {
    if (!network::has_networkd(rootfs) ||
        (!stage::has_entry(rootfs, "usr/bin/networkctl") && !stage::has_entry(rootfs, "bin/networkctl")))
        fail_input("the recipe has 'hetzner: {{metadata: true}}', which configures IPv6 through "
                   "systemd-networkd, but the rootfs has no systemd-networkd or networkctl: add the Debian "
                   "package systemd (Debian 12's ships both)");
}

std::string install_hetzner_metadata(const fs::path& rootfs, const Hetzner& hetzner, const fs::path& templates,
                                     const fs::path& metadata_helper, int64_t epoch) {
    check_hetzner_rootfs(rootfs);
    stage::install_file(rootfs, metadata_helper_file, read_file(metadata_helper), 0755, epoch);
    stage::set_times(rootfs, fs::path(metadata_helper_file).parent_path().string(), epoch);

    stage::TreeRoot tree(rootfs);
    tree.make_directories("root/.ssh", 0700);
    tree.chmod("root/.ssh", 0700);
    tree.set_times("root/.ssh", epoch);

    const std::string unit_name = unit;
    const std::map<std::string, std::string> values = {
        {"HELPER", metadata_helper_file},
        {"URL", hetzner.metadata_url},
        {"NETWORK_FILE", network_file},
        {"AUTHORIZED_KEYS", authorized_keys},
    };
    std::string text = stage::render_template(read_file(templates / unit_name), values, unit_name);
    stage::install_unit(rootfs, stage::parse_unit_template(unit_name, text), epoch);
    spdlog::info("hetzner: {} enabled (IPv6 and SSH keys from {})", unit_name, hetzner.metadata_url);
    return unit_name;
}

} // namespace lethe::features::hetzner
