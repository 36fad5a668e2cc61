#pragma once
// `firewall:` as a feature of the image: planned against the recipe's
// tailscale: and ssh: (registered after both), staged as the ruleset and
// lethe-firewall.service, and, with `hetzner: true`, the same rules as
// NAME.hcloud-firewall.json beside the disk.

#include "features/feature.hpp"
#include "features/firewall/firewall.hpp"

#include <memory>

namespace lethe::firewall {

class FirewallFeature final : public plan::FeaturePlan {
public:
    FirewallPlan plan;

    std::string_view key() const override { return "firewall"; }
    nlohmann::ordered_json to_json() const override;
    std::vector<plan::OutputFile> output_files(const std::string& image_name) const override;
    void stage(features::StageContext& context) const override;
};

std::shared_ptr<const plan::FeaturePlan> plan_firewall(const features::PlanRequest& request);

} // namespace lethe::firewall
