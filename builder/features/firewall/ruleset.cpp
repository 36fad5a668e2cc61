#include "features/firewall/ruleset.hpp"

#include <fmt/format.h>

namespace lethe::firewall {
namespace {

std::string port_set(const std::vector<PublicPort>& ports) {
    std::string out;
    for (const auto& port : ports)
        out += (out.empty() ? "" : ", ") + to_string(port.range);
    return ports.size() == 1 ? out : "{ " + out + " }";
}

std::string reasons(const std::vector<PublicPort>& ports) {
    std::string out;
    for (const auto& port : ports)
        if (out.find(port.reason) == std::string::npos)
            out += (out.empty() ? "" : ", ") + port.reason;
    return out;
}

std::string quoted_set(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names)
        out += (out.empty() ? "" : ", ") + ("\"" + name + "\"");
    return names.size() == 1 ? out : "{ " + out + " }";
}

// What every machine needs whatever the recipe says: its own traffic, the
// replies to its own connections, and the link-local protocols that give it
// addresses. Neighbour discovery comes before the invalid check on purpose:
// conntrack marks it untracked, and must never be the reason a host loses
// its IPv6 neighbours (Hetzner's gateway, fe80::1, is one).
std::string input_basics() {
    return "\t\tiifname \"lo\" accept\n"
           "\t\t# IPv6 neighbour discovery (RFC 4861: hop limit 255, so never from off the link),\n"
           "\t\t# including Hetzner's IPv6 gateway fe80::1\n"
           "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept\n"
           "\t\t# router advertisements, from a link-local router only\n"
           "\t\tip6 saddr fe80::/10 icmpv6 type nd-router-advert ip6 hoplimit 255 accept\n"
           "\t\t# multicast listener queries (RFC 4890), so switches keep forwarding the\n"
           "\t\t# solicited-node groups neighbour discovery relies on\n"
           "\t\tip6 saddr fe80::/10 icmpv6 type mld-listener-query accept\n"
           "\t\tct state established,related accept\n"
           "\t\tct state invalid drop\n"
           "\t\t# DHCP replies: the server answers the client port from its own, not as a reply\n"
           "\t\t# conntrack could match (the request went to the broadcast or multicast address)\n"
           "\t\tudp sport 67 udp dport 68 accept\n"
           "\t\tip6 saddr fe80::/10 udp sport 547 udp dport 546 accept\n";
}

std::string input_rules(const FirewallPlan& plan) {
    std::string out = input_basics();
    if (!plan.trusted_interfaces.empty())
        out += "\t\t# trusted_interfaces: everything is accepted on them\n"
               "\t\tiifname " +
               quoted_set(plan.trusted_interfaces) + " accept\n";
    if (plan.allow_ping)
        out += "\t\t# allow_ping\n"
               "\t\ticmp type echo-request accept\n"
               "\t\ticmpv6 type echo-request accept\n";
    if (!plan.tcp.empty())
        out += "\t\t# " + reasons(plan.tcp) + "\n\t\ttcp dport " + port_set(plan.tcp) + " accept\n";
    if (!plan.udp.empty())
        out += "\t\t# " + reasons(plan.udp) + "\n\t\tudp dport " + port_set(plan.udp) + " accept\n";
    if (plan.log_refused)
        // New connection attempts only (a TCP SYN; UDP to this host, not the
        // LAN's broadcasts), rate-limited so a scan cannot flood the journal.
        out += fmt::format(
            "\t\t# log_refused: what the policy is about to drop, at most 10 a minute\n"
            "\t\ttcp flags & (fin | syn | rst | ack) == syn limit rate 10/minute burst 20 "
            "packets log prefix \"{0}\" level info\n"
            "\t\tmeta l4proto udp meta pkttype host limit rate 10/minute burst 20 packets "
            "log prefix \"{0}\" level info\n",
            log_prefix);
    return out;
}

// An exit node forwards what tailnet peers send it out to the internet,
// and the replies back; nothing else is forwarded.
std::string forward_rules(const FirewallPlan& plan) {
    if (!plan.forward_from_tailscale) return "";
    return fmt::format(
        "\t\t# tailscale exit node / subnet router: from the tailnet out, and the replies\n"
        "\t\tct state established,related accept\n"
        "\t\tct state invalid drop\n"
        "\t\tiifname \"{}\" accept\n",
        tailscale_interface);
}

} // namespace

std::string render_ruleset(const FirewallPlan& plan) {
    return fmt::format(
        "#!/usr/sbin/nft -f\n"
        "# The image's firewall, rendered by lethe from the recipe's firewall: section.\n"
        "# It lives in the read-only /usr: change the recipe and rebuild, or add\n"
        "# tables of your own (this file replaces only `table inet {0}`).\n"
        "table inet {0}\n"
        "delete table inet {0}\n"
        "\n"
        "table inet {0} {{\n"
        "\tchain input {{\n"
        "\t\ttype filter hook input priority filter; policy drop;\n"
        "{1}"
        "\t}}\n"
        "\n"
        "\tchain forward {{\n"
        "\t\ttype filter hook forward priority filter; policy drop;\n"
        "{2}"
        "\t}}\n"
        "\n"
        "\tchain output {{\n"
        "\t\ttype filter hook output priority filter; policy accept;\n"
        "\t}}\n"
        "}}\n",
        table_name, input_rules(plan), forward_rules(plan));
}

std::string render_forwarding_sysctl(const FirewallPlan& plan) {
    if (!plan.forward_from_tailscale) return "";
    return "# Rendered by lethe: this image is a Tailscale exit node or subnet router\n"
           "# (tailscale.advertise_exit_node, or --advertise-routes), which Tailscale's\n"
           "# documentation says needs IP forwarding on. The firewall's forward chain\n"
           "# still lets through only what comes in on tailscale0, and its replies.\n"
           "net.ipv4.ip_forward = 1\n"
           "net.ipv6.conf.all.forwarding = 1\n";
}

} // namespace lethe::firewall
