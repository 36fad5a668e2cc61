#include "features/ssh/plan.hpp"

#include "util/error.hpp"

namespace lethe::ssh {

SshPlan make_ssh_plan(const Ssh& ssh, bool tailscale, bool firewall) {
    SshPlan plan;
    plan.settings = ssh;
    plan.public_written = ssh.open_to_public.has_value();
    plan.open_to_public = ssh.open_to_public.value_or(!tailscale);
    if (plan.public_written && !plan.open_to_public && !firewall)
        fail_input(
            "{}: ssh.public is false, but the recipe has no 'firewall:', so every port, 22 "
            "included, is open on every interface: add 'firewall: {{}}' (which keeps 22 to the "
            "trusted interfaces), or remove 'public: false'",
            spec::to_string(ssh.public_origin));
    return plan;
}

nlohmann::ordered_json plan_json(const SshPlan& plan) {
    const Ssh& s = plan.settings;
    return {{"config", sshd_config_file},
            {"public", plan.open_to_public},
            {"password_authentication", s.password_authentication},
            {"kbd_interactive_authentication", s.kbd_interactive_authentication},
            {"permit_root_login", s.permit_root_login},
            {"x11_forwarding", s.x11_forwarding},
            {"allow_agent_forwarding", s.allow_agent_forwarding},
            {"allow_tcp_forwarding", s.allow_tcp_forwarding},
            {"allow_stream_local_forwarding", s.allow_stream_local_forwarding},
            {"authentication_methods", s.authentication_methods},
            {"sftp", s.sftp},
            {"host_key_types", s.host_key_types}};
}

} // namespace lethe::ssh
