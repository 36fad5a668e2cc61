#pragma once
// `ssh:` as a feature of the image: the lockdown in the read-only /usr, the
// drop-ins that make ssh.service and the first boot's key generation use it,
// and /etc/ssh persisted (the instance's host keys).

#include "features/feature.hpp"
#include "features/ssh/ssh.hpp"

#include <memory>

namespace lethe::ssh {

class SshFeature final : public plan::FeaturePlan {
public:
    SshPlan plan;

    std::string_view key() const override { return "ssh"; }
    nlohmann::ordered_json to_json() const override;
    std::vector<plan::PersistEntry> persisted() const override;
    void stage(features::StageContext& context) const override;

    // Where the recipe decided whether port 22 is public: `public:`, or `ssh:`.
    const spec::Origin& origin_of_public() const {
        return plan.public_written ? plan.settings.public_origin : plan.settings.origin;
    }
};

// Registered before the firewall, which asks it whether 22 is public; it
// asks the recipe whether there is a firewall and a tailscale: at all.
std::shared_ptr<const plan::FeaturePlan> plan_ssh(const features::PlanRequest& request);

} // namespace lethe::ssh
