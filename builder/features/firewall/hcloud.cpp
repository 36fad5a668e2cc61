#include "features/firewall/hcloud.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace lethe::firewall {
namespace {

// Field names and values from Hetzner Cloud's API reference, "Create a
// Firewall" (POST https://api.hetzner.cloud/v1/firewalls, request body
// `rules[]`), which hcloud-cli's --rules-file reads as-is (it unmarshals the
// file into hcloud-go's schema.FirewallRule):
//   direction        "in" | "out"
//   protocol         "tcp" | "udp" | "icmp" | "esp" | "gre"
//   port             "80" or "1024-5000"; only for tcp and udp
//   source_ips       CIDRs, for direction "in" ("0.0.0.0/0" and "::/0": any)
//   destination_ips  CIDRs, for direction "out"
//   description      free text
// At most 50 rules per firewall and 100 CIDRs per rule.
using Json = nlohmann::ordered_json;
const Json any_address = Json::array({"0.0.0.0/0", "::/0"});

Json inbound(const std::string& protocol, const PortRange* port, const std::string& description) {
    Json rule = {{"direction", "in"}, {"protocol", protocol}};
    if (port) rule["port"] = to_string(*port);
    rule["source_ips"] = any_address;
    rule["description"] = description;
    return rule;
}

std::string describe(const PublicPort& port) {
    if (port.reason == "ssh.public") return "lethe: ssh (ssh.public)";
    if (port.reason == "tailscale") return "lethe: tailscale (WireGuard, direct connections)";
    return fmt::format("lethe: {} {}", port.reason, to_string(port.range));
}

} // namespace

std::string render_hcloud_rules(const FirewallPlan& plan) {
    Json rules = Json::array();
    for (const auto& port : plan.tcp)
        rules.push_back(inbound("tcp", &port.range, describe(port)));
    for (const auto& port : plan.udp)
        rules.push_back(inbound("udp", &port.range, describe(port)));
    if (plan.allow_ping) rules.push_back(inbound("icmp", nullptr, "lethe: allow_ping"));
    for (const auto& outbound : plan.outbound) {
        Json rule = {{"direction", "out"}, {"protocol", outbound.protocol}};
        if (outbound.port) rule["port"] = to_string(*outbound.port);
        rule["destination_ips"] = outbound.destination_ips;
        rule["description"] =
            outbound.description.empty() ? "lethe: firewall.outbound" : outbound.description;
        rules.push_back(rule);
    }
    return rules.dump(2) + "\n";
}

std::string hcloud_rules_file(const std::string& image_name) {
    return image_name + ".hcloud-firewall.json";
}

} // namespace lethe::firewall
