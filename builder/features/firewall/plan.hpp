#pragma once
// The firewall's share of the plan: the section as written, resolved against
// the rest of the recipe (Tailscale, ssh). Pure; refuses the contradictions
// between sections with file:line:column (exit status 2).

#include "features/firewall/firewall.hpp"
#include "features/tailscale/settings.hpp"

#include <nlohmann/json.hpp>

namespace lethe::firewall {

// What the `tailscale:` section decides for the firewall: forwarding for an
// exit node or subnet router, and the control server's port.
void add_tailscale(Context& context, const features::tailscale::Settings& tailscale);

// What `ssh:` decides: whether port 22 is public. WRITTEN: the recipe said
// `public:` itself (else it is the default); ORIGIN: of `public:` or `ssh:`.
void add_ssh(Context& context, bool open_to_public, bool written, const spec::Origin& origin);

FirewallPlan make_firewall_plan(const Firewall& firewall, const Context& context);

// The Hetzner Cloud Firewall's rules (inbound, then outbound) counted as its
// API counts entries; it takes at most 50.
size_t hcloud_rule_count(const FirewallPlan& plan);
inline constexpr size_t hcloud_max_rules = 50;

// `"firewall": {...}` in `lethe plan`.
nlohmann::ordered_json plan_json(const FirewallPlan& plan);

} // namespace lethe::firewall
