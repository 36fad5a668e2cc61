#include "features/ssh/feature.hpp"

#include "features/ssh/parse.hpp"
#include "features/ssh/plan.hpp"
#include "features/ssh/staging.hpp"
#include "util/paths.hpp"

#include <spdlog/spdlog.h>

namespace lethe::ssh {

std::shared_ptr<const plan::FeaturePlan> plan_ssh(const features::PlanRequest& request) {
    if (!request.section) return nullptr;
    const auto& sections = request.recipe.sections;
    auto feature = std::make_shared<SshFeature>();
    feature->plan = make_ssh_plan(parse_ssh(*request.section->doc, request.section->node),
                                  sections.count("tailscale") > 0, sections.count("firewall") > 0);
    return feature;
}

nlohmann::ordered_json SshFeature::to_json() const { return plan_json(plan); }

// The host keys: made on an instance's first boot, kept for its life.
std::vector<plan::PersistEntry> SshFeature::persisted() const {
    return {{host_key_directory, true, std::string("root"), std::string("root"), 0755}};
}

void SshFeature::stage(features::StageContext& context) const {
    features::require_rootfs(check_rootfs(context.rootfs));
    features::install_staging(context, staging(plan, read_templates(data_path("templates/ssh"))));
    spdlog::info("ssh: sshd locked down ({}), port 22 {}", sshd_config_file,
                 plan.open_to_public ? "public" : "on trusted interfaces only");
}

} // namespace lethe::ssh
