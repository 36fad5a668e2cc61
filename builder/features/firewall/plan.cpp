#include "features/firewall/plan.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <regex>

namespace lethe::firewall {
namespace {

const PortRange* find_covering(const std::vector<PortRange>& ranges, uint16_t port) {
    for (const auto& range : ranges)
        if (covers(range, port)) return &range;
    return nullptr;
}

// "https://hs.example:8443/x" -> 8443; the scheme's port without one.
uint16_t url_port(const std::string& url) {
    static const std::regex pattern(R"(^(https?)://(\[[^\]]*\]|[^/:?#]*)(:([0-9]{1,5}))?)");
    std::smatch match;
    if (!std::regex_search(url, match, pattern)) return 443;
    if (match[4].matched) return static_cast<uint16_t>(std::stoi(match[4].str()));
    return match[1].str() == "http" ? 80 : 443;
}

void check_ssh(const Firewall& firewall, const Context& context,
               const std::vector<std::string>& trusted) {
    if (!context.ssh) return;
    const PortRange* listed = find_covering(firewall.allowed_tcp_ports, ssh_port);
    if (!context.ssh_public && listed)
        fail_input(
            "{}: allowed_tcp_ports opens port 22 on every interface, but ssh.public is false{}: "
            "say 'ssh: {{public: true}}' to make sshd public, or remove 22",
            spec::to_string(listed->origin),
            context.ssh_public_written ? "" : " (the default with tailscale:)");
    if (!context.ssh_public && trusted.empty())
        fail_input("{}: ssh.public is false and the firewall trusts no interface, so sshd would be "
                   "reachable from nowhere: list the interface it should answer on in "
                   "firewall.trusted_interfaces, or say 'ssh: {{public: true}}'",
                   spec::to_string(context.ssh_origin));
}

// Listing any outbound rule makes Hetzner drop every other outgoing packet:
// without one to the control server, the instance could never enrol.
void check_tailscale_outbound(const Firewall& firewall, const Context& context) {
    if (!context.tailscale || firewall.outbound.empty()) return;
    for (const auto& rule : firewall.outbound)
        if (rule.protocol == "tcp" && rule.port && covers(*rule.port, context.login_server_port))
            return;
    fail_input(
        "{}: these outbound rules make the Hetzner Cloud Firewall drop all other outgoing "
        "traffic, and none lets TCP port {} out: the instance could not reach its Tailscale "
        "control server to enrol. Add {{protocol: tcp, port: {}}} (and {{protocol: udp, port: "
        "3478}} for STUN, {{protocol: udp, port: 41641}} for direct connections)",
        spec::to_string(firewall.outbound.front().origin), context.login_server_port,
        context.login_server_port);
}

std::vector<std::string> trusted_interfaces(const Firewall& firewall, const Context& context) {
    if (!context.tailscale && (firewall.trust_tailscale || firewall.open_tailscale_port))
        fail_input(
            "{}: trust_tailscale and open_tailscale_port are about Tailscale, but the recipe "
            "has no 'tailscale:'",
            spec::to_string(firewall.tailscale_origin));
    std::vector<std::string> trusted;
    if (context.tailscale && firewall.trust_tailscale.value_or(true))
        trusted.push_back(tailscale_interface);
    for (const auto& name : firewall.trusted_interfaces)
        if (std::find(trusted.begin(), trusted.end(), name) == trusted.end())
            trusted.push_back(name);
    return trusted;
}

std::vector<PublicPort> public_ports(const std::vector<PortRange>& listed, const char* reason) {
    std::vector<PublicPort> ports;
    for (const auto& range : listed)
        ports.push_back({range, reason});
    return ports;
}

// Ports another section opens, unless the user already listed them.
void add_port(std::vector<PublicPort>& ports, uint16_t port, const char* reason) {
    for (const auto& open : ports)
        if (covers(open.range, port)) return;
    ports.push_back({PortRange{port, port, {}}, reason});
}

} // namespace

void add_tailscale(Context& context, const features::tailscale::Settings& tailscale) {
    context.tailscale = true;
    bool routes =
        std::any_of(tailscale.extra_args.begin(), tailscale.extra_args.end(),
                    [](const auto& arg) { return arg.rfind("--advertise-routes", 0) == 0; });
    context.tailscale_forwards = tailscale.advertise_exit_node || routes;
    if (!tailscale.login_server.empty())
        context.login_server_port = url_port(tailscale.login_server);
}

void add_ssh(Context& context, bool open_to_public, bool written, const spec::Origin& origin) {
    context.ssh = true;
    context.ssh_public = open_to_public;
    context.ssh_public_written = written;
    context.ssh_origin = origin;
}

FirewallPlan make_firewall_plan(const Firewall& firewall, const Context& context) {
    FirewallPlan plan;
    plan.trusted_interfaces = trusted_interfaces(firewall, context);
    check_ssh(firewall, context, plan.trusted_interfaces);
    check_tailscale_outbound(firewall, context);
    plan.tcp = public_ports(firewall.allowed_tcp_ports, "allowed_tcp_ports");
    plan.udp = public_ports(firewall.allowed_udp_ports, "allowed_udp_ports");
    if (context.ssh && context.ssh_public) add_port(plan.tcp, ssh_port, "ssh.public");
    if (context.tailscale && firewall.open_tailscale_port.value_or(true))
        add_port(plan.udp, tailscale_port, "tailscale");
    plan.allow_ping = firewall.allow_ping;
    plan.log_refused = firewall.log_refused;
    plan.forward_from_tailscale = context.tailscale && context.tailscale_forwards;
    plan.hetzner = firewall.hetzner;
    plan.outbound = firewall.outbound;
    if (plan.hetzner && hcloud_rule_count(plan) > hcloud_max_rules)
        fail_input("{}: the Hetzner Cloud Firewall takes at most {} rules, and this one needs {}: "
                   "merge ports into {{from, to}} ranges",
                   spec::to_string(firewall.origin), hcloud_max_rules, hcloud_rule_count(plan));
    return plan;
}

size_t hcloud_rule_count(const FirewallPlan& plan) {
    return plan.tcp.size() + plan.udp.size() + (plan.allow_ping ? 1 : 0) + plan.outbound.size();
}

nlohmann::ordered_json plan_json(const FirewallPlan& plan) {
    auto ports = [](const std::vector<PublicPort>& list) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& port : list)
            out.push_back({{"port", to_string(port.range)}, {"reason", port.reason}});
        return out;
    };
    nlohmann::ordered_json outbound = nlohmann::ordered_json::array();
    for (const auto& rule : plan.outbound)
        outbound.push_back(
            {{"protocol", rule.protocol},
             {"port", rule.port ? nlohmann::ordered_json(to_string(*rule.port)) : nullptr},
             {"destination_ips", rule.destination_ips}});
    return {{"ruleset", ruleset_file},
            {"unit", unit_name},
            {"public_tcp_ports", ports(plan.tcp)},
            {"public_udp_ports", ports(plan.udp)},
            {"trusted_interfaces", plan.trusted_interfaces},
            {"allow_ping", plan.allow_ping},
            {"log_refused", plan.log_refused ? nlohmann::ordered_json(log_prefix) : nullptr},
            {"forwarding", plan.forward_from_tailscale
                               ? nlohmann::ordered_json(forwarding_sysctl_file)
                               : nullptr},
            {"hetzner", plan.hetzner},
            {"outbound", outbound}};
}

} // namespace lethe::firewall
