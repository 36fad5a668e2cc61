#pragma once
// The ssh section's share of the plan, and its JSON for `lethe plan`.

#include "features/ssh/ssh.hpp"

#include <nlohmann/json.hpp>

namespace lethe::ssh {

// `public:` defaults to false when the recipe has tailscale (sshd is then
// reached over tailscale0) and to true otherwise. Refuses (exit status 2) an
// explicit `public: false` without a firewall: every port is public then.
SshPlan make_ssh_plan(const Ssh& ssh, bool tailscale, bool firewall);

nlohmann::ordered_json plan_json(const SshPlan& plan);

} // namespace lethe::ssh
