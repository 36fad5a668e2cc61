#pragma once
// `audit:` as a feature of the image: the exec rules in the factory /etc,
// auditd.service enabled, /var/log/audit persisted.

#include "features/audit/audit.hpp"
#include "features/feature.hpp"

#include <memory>

namespace lethe::audit {

class AuditFeature final : public plan::FeaturePlan {
public:
    Audit audit;
    std::vector<plan::PersistEntry> log_paths; // what the layout does not persist already

    std::string_view key() const override { return "audit"; }
    nlohmann::ordered_json to_json() const override;
    std::vector<plan::PersistEntry> persisted() const override { return log_paths; }
    void stage(features::StageContext& context) const override;
};

// Null when the recipe has no `audit:` or says `exec: false`.
std::shared_ptr<const plan::FeaturePlan> plan_audit(const features::PlanRequest& request);

} // namespace lethe::audit
