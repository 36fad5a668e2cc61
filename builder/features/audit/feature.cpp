#include "features/audit/feature.hpp"

#include "features/audit/audit_rules.hpp"

#include <spdlog/spdlog.h>

namespace lethe::audit {

std::shared_ptr<const plan::FeaturePlan> plan_audit(const features::PlanRequest& request) {
    if (!request.section) return nullptr;
    auto feature = std::make_shared<AuditFeature>();
    feature->audit = parse_audit(*request.section->doc, request.section->node);
    if (!feature->audit.exec) return nullptr;
    feature->log_paths = persisted_paths(feature->audit, request.recipe.layout);
    return feature;
}

nlohmann::ordered_json AuditFeature::to_json() const {
    return {{"exec", audit.exec}, {"rules", rules_file}, {"key", rules_key}, {"log", log_directory}};
}

void AuditFeature::stage(features::StageContext& context) const {
    features::require_rootfs(check_rootfs(context.rootfs));
    features::install_staging(context, staging(audit));
    spdlog::info("audit: every execve recorded ({}, ausearch -k {})", rules_file, rules_key);
}

} // namespace lethe::audit
