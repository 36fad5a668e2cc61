#include "outputs/manifest.hpp"

#include "plan/plan_json.hpp"

namespace lethe::outputs {

nlohmann::ordered_json to_json(const Manifest& m) {
    nlohmann::ordered_json packages = nlohmann::ordered_json::array();
    for (const auto& p : m.packages)
        packages.push_back({{"name", p.name}, {"version", p.version}, {"architecture", p.architecture}});
    nlohmann::ordered_json exposure = nlohmann::ordered_json::array();
    for (const auto& e : m.exposure) exposure.push_back({{"unit", e.unit}, {"score", e.score}, {"rating", e.rating}});
    return {
        {"lethe_version", LETHE_VERSION},
        {"source_date_epoch", m.source_date_epoch},
        {"inputs", {{"recipe_sha256", m.recipe_sha256}, {"rootfs_sha256", m.rootfs_sha256},
                    {"boot_loaders_sha256", m.boot_loaders}}},
        {"kernel", {{"version", m.kernel_version}, {"initrd_modules", m.initrd_modules}}},
        {"units", m.units},
        {"scrubbed", m.scrubbed},
        {"exposure", exposure},
        {"plan", plan::to_json(m.plan)},
        {"packages", packages},
    };
}

} // namespace lethe::outputs
