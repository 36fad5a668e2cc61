#include "outputs/manifest.hpp"

#include "plan/plan_json.hpp"

namespace lethe::outputs {

nlohmann::ordered_json to_json(const Manifest& m) {
    nlohmann::ordered_json packages = nlohmann::ordered_json::array();
    for (const auto& p : m.packages)
        packages.push_back({{"name", p.name}, {"version", p.version}, {"architecture", p.architecture}});
    nlohmann::ordered_json exposure = nlohmann::ordered_json::array();
    for (const auto& e : m.exposure) exposure.push_back({{"unit", e.unit}, {"score", e.score}, {"rating", e.rating}});
    nlohmann::ordered_json json = {
        {"lethe_version", LETHE_VERSION},
        {"source_date_epoch", m.source_date_epoch},
        {"inputs", {{"recipe_sha256", m.recipe_sha256}, {"rootfs_sha256", m.rootfs_sha256},
                    {"boot_loaders_sha256", m.boot_loaders}}},
        {"kernel", {{"version", m.kernel_version}, {"cmdline", plan::kernel_command_line(m.plan)},
                    {"initrd_modules", m.initrd_modules}}},
        {"units", m.units},
        {"scrubbed", m.scrubbed},
        {"exposure", exposure},
        {"plan", plan::to_json(m.plan)},
        {"packages", packages},
    };
    // `lethe verify --manifest` and `lethe boot --direct` read verity.root_hash.
    if (m.plan.verity) {
        const plan::VerityPlan& v = *m.plan.verity;
        json["verity"] = {{"root_hash", v.root_hash},
                          {"data_partition", v.data_partition},
                          {"hash_partition", v.hash_partition},
                          {"algorithm", plan::verity_hash_algorithm},
                          {"on_corruption", init::to_string(v.on_corruption)}};
    }
    return json;
}

} // namespace lethe::outputs
