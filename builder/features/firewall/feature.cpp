#include "features/firewall/feature.hpp"

#include "features/firewall/hcloud.hpp"
#include "features/firewall/parse.hpp"
#include "features/firewall/plan.hpp"
#include "features/firewall/staging.hpp"
#include "features/ssh/feature.hpp"
#include "features/tailscale/tailscale.hpp"
#include "util/file.hpp"
#include "util/paths.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace lethe::firewall {

std::shared_ptr<const plan::FeaturePlan> plan_firewall(const features::PlanRequest& request) {
    if (!request.section) return nullptr;
    Firewall firewall = parse_firewall(*request.section->doc, request.section->node);
    Context context;
    if (auto tailscale = request.find<features::tailscale::Tailscale>()) add_tailscale(context, tailscale->settings);
    if (auto ssh = request.find<ssh::SshFeature>())
        add_ssh(context, ssh->plan.open_to_public, ssh->plan.public_written, ssh->origin_of_public());
    auto feature = std::make_shared<FirewallFeature>();
    feature->plan = make_firewall_plan(firewall, context);
    return feature;
}

nlohmann::ordered_json FirewallFeature::to_json() const {
    auto json = plan_json(plan);
    if (plan.hetzner) json["hcloud_rules"] = "NAME.hcloud-firewall.json";
    return json;
}

std::vector<plan::OutputFile> FirewallFeature::output_files(const std::string& image_name) const {
    if (!plan.hetzner) return {};
    return {{hcloud_rules_file(image_name), render_hcloud_rules(plan)}};
}

void FirewallFeature::stage(features::StageContext& context) const {
    features::require_rootfs(check_rootfs(context.rootfs));
    std::string unit_template = read_file(data_path("templates/firewall") / unit_name);
    features::install_staging(context, staging(plan, unit_template));
    std::vector<std::string> ports;
    for (const auto& port : plan.tcp) ports.push_back(to_string(port.range) + "/tcp");
    for (const auto& port : plan.udp) ports.push_back(to_string(port.range) + "/udp");
    spdlog::info("firewall: {} enabled; public: {}", unit_name,
                 ports.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(ports, ", ")));
}

} // namespace lethe::firewall
