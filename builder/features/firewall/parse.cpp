#include "features/firewall/parse.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <fmt/format.h>
#include <limits>
#include <net/if.h>

namespace lethe::firewall {
namespace {

uint16_t read_port(const spec::Document& doc, const YAML::Node& node) {
    int port =
        spec::read_int(doc, node, std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
    if (port < 1 || port > 65535)
        doc.fail_at(node, fmt::format("{} is not a port: ports are 1 to 65535", port));
    return static_cast<uint16_t>(port);
}

PortRange read_range(const spec::Document& doc, const YAML::Node& node) {
    PortRange range;
    range.origin = doc.origin(node);
    if (!node.IsMap()) {
        range.from = range.to = read_port(doc, node);
        return range;
    }
    spec::MapReader map(doc, node, "a port range", {"from", "to"});
    range.from = read_port(doc, map.required("from"));
    range.to = read_port(doc, map.required("to"));
    if (range.from > range.to)
        doc.fail_at(map.get("to"),
                    fmt::format("the range ends ({}) before it starts ({})", range.to, range.from));
    return range;
}

bool overlap(const PortRange& a, const PortRange& b) {
    return a.from <= b.to && b.from <= a.to;
}

// Numbers or {from, to} ranges, none overlapping another: nft refuses
// overlapping intervals in one set, and a port listed twice is a mistake.
std::vector<PortRange> read_ports(const spec::Document& doc, const YAML::Node& node,
                                  const char* key) {
    if (!node.IsSequence())
        doc.fail_at(node, fmt::format("{} is a list of ports or {{from, to}} ranges", key));
    std::vector<PortRange> ranges;
    for (const auto& item : node) {
        PortRange range = read_range(doc, item);
        for (const auto& earlier : ranges)
            if (overlap(earlier, range))
                doc.fail_at(item, fmt::format("{} {} already in {} (line {}, column {})",
                                              to_string(range),
                                              earlier.from == earlier.to && range.from == range.to
                                                  ? "is"
                                                  : "overlaps " + to_string(earlier) + ",",
                                              key, earlier.origin.line, earlier.origin.column));
        ranges.push_back(range);
    }
    return ranges;
}

// The kernel's dev_valid_name(), and what an nft string can hold.
std::string read_interface(const spec::Document& doc, const YAML::Node& node) {
    std::string name = spec::read_string(doc, node, "an interface name");
    if (name.empty() || name.size() > IFNAMSIZ - 1)
        doc.fail_at(node, fmt::format("'{}' is not an interface name: 1 to {} characters", name,
                                      IFNAMSIZ - 1));
    if (name == "." || name == ".." || name.find_first_of("/: \t\n\"\\*") != std::string::npos ||
        std::any_of(name.begin(), name.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
        doc.fail_at(node,
                    fmt::format("'{}' is not an interface name the kernel accepts (no '/', ':', "
                                "spaces, quotes or wildcards)",
                                name));
    if (name == "lo") doc.fail_at(node, "'lo' is always trusted: leave it out");
    return name;
}

std::vector<std::string> read_interfaces(const spec::Document& doc, const YAML::Node& node) {
    spec::read_string_list(doc, node, "interface names");
    std::vector<std::string> names;
    for (const auto& item : node) {
        std::string name = read_interface(doc, item);
        if (std::find(names.begin(), names.end(), name) != names.end())
            doc.fail_at(item, fmt::format("'{}' is listed twice", name));
        names.push_back(name);
    }
    return names;
}

OutboundRule read_outbound_rule(const spec::Document& doc, const YAML::Node& node) {
    spec::MapReader map(doc, node, "an outbound rule",
                        {"protocol", "port", "destination_ips", "description"});
    OutboundRule rule;
    rule.origin = doc.origin(node);
    rule.protocol =
        spec::read_choice(doc, map.required("protocol"), {"tcp", "udp", "icmp", "esp", "gre"});
    bool ported = rule.protocol == "tcp" || rule.protocol == "udp";
    if (ported)
        rule.port = read_range(doc, map.required("port"));
    else if (map.has("port"))
        doc.fail_at(
            map.get("port"),
            fmt::format("{} has no ports: only tcp and udp rules take 'port'", rule.protocol));
    rule.destination_ips = {"0.0.0.0/0", "::/0"};
    if (map.has("destination_ips")) {
        const YAML::Node list = map.get("destination_ips");
        rule.destination_ips = spec::read_string_list(doc, list, "CIDRs, e.g. 192.0.2.0/24");
        // Hetzner's limit per rule.
        if (rule.destination_ips.empty() || rule.destination_ips.size() > 100)
            doc.fail_at(list, "destination_ips takes 1 to 100 CIDRs");
        for (size_t i = 0; i < rule.destination_ips.size(); ++i)
            if (std::string wrong = check_cidr(rule.destination_ips[i]); !wrong.empty())
                doc.fail_at(list[i], wrong);
    }
    if (map.has("description"))
        rule.description = spec::read_string(doc, map.get("description"), "a description");
    return rule;
}

std::vector<OutboundRule> read_outbound(const spec::Document& doc, const YAML::Node& node) {
    if (!node.IsSequence())
        doc.fail_at(node, "outbound is a list of rules, e.g. {protocol: tcp, port: 443}");
    std::vector<OutboundRule> rules;
    for (const auto& item : node)
        rules.push_back(read_outbound_rule(doc, item));
    return rules;
}

} // namespace

std::string to_string(const PortRange& range) {
    return range.from == range.to ? std::to_string(range.from)
                                  : fmt::format("{}-{}", range.from, range.to);
}

bool covers(const PortRange& range, uint16_t port) {
    return range.from <= port && port <= range.to;
}

std::string check_cidr(const std::string& text) {
    size_t slash = text.find('/');
    if (slash == std::string::npos)
        return fmt::format("'{}' is not in CIDR notation: add the prefix length, e.g. {}/32 or "
                           "{}/128",
                           text, text, text);
    std::string address = text.substr(0, slash), length = text.substr(slash + 1);
    std::array<unsigned char, 16> bytes{};
    bool v6 = address.find(':') != std::string::npos;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), bytes.data()) != 1)
        return fmt::format("'{}' is not an IPv{} address", address, v6 ? 6 : 4);
    int bits = v6 ? 128 : 32, prefix = -1;
    if (!length.empty() && length.size() <= 3 &&
        std::all_of(length.begin(), length.end(), [](char c) { return c >= '0' && c <= '9'; }))
        prefix = std::stoi(length);
    if (prefix < 0 || prefix > bits)
        return fmt::format("'/{}' is not a prefix length: 0 to {}", length, bits);
    std::array<unsigned char, 16> network = bytes;
    for (int bit = prefix; bit < bits; ++bit)
        network[static_cast<size_t>(bit / 8)] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
    if (network == bytes) return "";
    // Hetzner takes networks with empty host bits, or single hosts.
    char written[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, network.data(), written, sizeof written);
    return fmt::format("'{}' has host bits set: did you mean the network {}/{}, or the host {}/{}?",
                       text, written, prefix, address, bits);
}

Firewall parse_firewall(const spec::Document& doc, const YAML::Node& node) {
    spec::MapReader map(doc, node, "firewall",
                        {"allowed_tcp_ports", "allowed_udp_ports", "trusted_interfaces",
                         "allow_ping", "log_refused", "hetzner", "outbound", "trust_tailscale",
                         "open_tailscale_port"});
    Firewall firewall;
    firewall.origin = doc.origin(node);
    if (map.has("allowed_tcp_ports"))
        firewall.allowed_tcp_ports =
            read_ports(doc, map.get("allowed_tcp_ports"), "allowed_tcp_ports");
    if (map.has("allowed_udp_ports"))
        firewall.allowed_udp_ports =
            read_ports(doc, map.get("allowed_udp_ports"), "allowed_udp_ports");
    if (map.has("trusted_interfaces"))
        firewall.trusted_interfaces = read_interfaces(doc, map.get("trusted_interfaces"));
    if (map.has("allow_ping")) firewall.allow_ping = spec::read_bool(doc, map.get("allow_ping"));
    if (map.has("log_refused")) firewall.log_refused = spec::read_bool(doc, map.get("log_refused"));
    if (map.has("hetzner")) firewall.hetzner = spec::read_bool(doc, map.get("hetzner"));
    if (map.has("outbound")) {
        firewall.outbound = read_outbound(doc, map.get("outbound"));
        if (!firewall.hetzner)
            doc.fail_at(map.get("outbound"),
                        "outbound rules are for the Hetzner Cloud Firewall (the image lets all "
                        "outgoing traffic out): add 'hetzner: true', or remove 'outbound'");
    }
    for (auto [key, value] : {std::pair{"trust_tailscale", &firewall.trust_tailscale},
                              std::pair{"open_tailscale_port", &firewall.open_tailscale_port}}) {
        if (!map.has(key)) continue;
        *value = spec::read_bool(doc, map.get(key));
        firewall.tailscale_origin = doc.origin(map.get(key));
    }
    const auto& trusted = firewall.trusted_interfaces;
    if (firewall.trust_tailscale == false &&
        std::find(trusted.begin(), trusted.end(), tailscale_interface) != trusted.end())
        doc.fail_at(map.get("trust_tailscale"),
                    "trust_tailscale: false, but trusted_interfaces lists tailscale0");
    return firewall;
}

} // namespace lethe::firewall
