#include "features/registry.hpp"

#include "features/audit/feature.hpp"
#include "features/firewall/feature.hpp"
#include "features/hetzner/hetzner.hpp"
#include "features/network/network.hpp"
#include "features/ssh/feature.hpp"
#include "features/tailscale/tailscale.hpp"
#include "spec/parse.hpp"

namespace lethe::features {
namespace {

struct Entry {
    const char* key; // the recipe key; also the feature's key in `lethe plan`
    std::shared_ptr<const plan::FeaturePlan> (*plan)(const PlanRequest& request); // null: off
};

// In the order they are planned, staged and shown in `lethe plan`: the
// firewall after tailscale and ssh, whose plans decide what it opens.
const Entry registry[] = {
    {"tailscale", tailscale::plan_tailscale},
    {"network", network::plan_network},
    {"hetzner", hetzner::plan_hetzner},
    {"ssh", ssh::plan_ssh},
    {"firewall", firewall::plan_firewall},
    {"audit", audit::plan_audit},
};

} // namespace

std::vector<std::string> recipe_keys() {
    std::vector<std::string> keys;
    for (const auto& entry : registry) keys.emplace_back(entry.key);
    return keys;
}

Features plan_features(const spec::Recipe& recipe) {
    Features features;
    for (const auto& entry : registry) {
        auto found = recipe.sections.find(entry.key);
        const spec::Section* section = found == recipe.sections.end() ? nullptr : found->second.get();
        if (auto feature = entry.plan(PlanRequest{recipe, section, features})) features.push_back(std::move(feature));
    }
    return features;
}

spec::Recipe load_recipe(const std::string& path) { return spec::load_recipe(path, recipe_keys()); }

spec::Recipe parse_recipe(const std::string& text, const std::string& path) {
    return spec::parse_recipe(text, path, recipe_keys());
}

plan::Plan make_plan(const spec::Recipe& recipe) { return plan::make_plan(recipe, plan_features(recipe)); }

} // namespace lethe::features
