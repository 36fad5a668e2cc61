#include "hetzner.hpp"

#include "error.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <regex>

namespace lethe::metadata {
namespace {

std::string scalar(const YAML::Node& node, const char* key) {
    if (!node.IsMap()) return "";
    const YAML::Node value = node[key];
    return value && value.IsScalar() ? value.Scalar() : "";
}

// yaml-cpp throws when asked the type of a key a mapping lacks.
YAML::Node sequence(const YAML::Node& node, const char* key) {
    if (!node.IsMap()) return YAML::Node();
    YAML::Node value = node[key];
    return value && value.IsSequence() ? value : YAML::Node();
}

bool flag(const YAML::Node& node, const char* key) { return scalar(node, key) == "true"; }

// The whole string: inet_pton() stops at a NUL and would pass "fe80::1\0..."
// into the .network file.
bool is_ipv6(const std::string& text) {
    in6_addr address{};
    return text.find('\0') == std::string::npos && inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

// "2a01:4f8:c17:1234::1/64"; the whole value goes into a .network file, so
// it must be an address and nothing else.
std::string checked_address(const std::string& text) {
    size_t slash = text.find('/');
    std::string prefix = slash == std::string::npos ? "" : text.substr(slash + 1);
    bool prefix_ok = !prefix.empty() && prefix.size() <= 3 &&
                     std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) { return std::isdigit(c); }) &&
                     std::stoi(prefix) >= 1 && std::stoi(prefix) <= 128;
    if (!prefix_ok || !is_ipv6(text.substr(0, slash)))
        throw Error("the metadata's IPv6 address '" + text + "' is not ADDRESS/PREFIX");
    return text;
}

// "fe80::1%eth0" in `routes` names the interface as the metadata knows it,
// which need not be the kernel's name: the .network file says which link.
std::string checked_gateway(std::string text) {
    text = text.substr(0, text.find('%'));
    if (!is_ipv6(text)) throw Error("the metadata's IPv6 gateway '" + text + "' is not an IPv6 address");
    return text;
}

std::string checked_mac(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    static const std::regex mac("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
    if (!std::regex_match(text, mac)) throw Error("the metadata's MAC address '" + text + "' is malformed");
    return text;
}

bool is_static_ipv6(const YAML::Node& subnet) {
    std::string type = scalar(subnet, "type");
    std::string address = scalar(subnet, "address");
    bool v6 = flag(subnet, "ipv6") || address.find(':') != std::string::npos;
    return v6 && !address.empty() && (type.empty() || type == "static" || type == "static6");
}

std::string gateway_of(const YAML::Node& subnet) {
    if (!scalar(subnet, "gateway").empty()) return checked_gateway(scalar(subnet, "gateway"));
    for (const auto& route : sequence(subnet, "routes")) {
        std::string network = scalar(route, "network");
        if ((network == "::" || network == "::/0") && !scalar(route, "gateway").empty())
            return checked_gateway(scalar(route, "gateway"));
    }
    return "";
}

// The MAC of entry `name`, or of its parent for an alias such as "eth0:0".
std::string mac_for(const YAML::Node& config, const YAML::Node& entry) {
    if (!scalar(entry, "mac_address").empty()) return checked_mac(scalar(entry, "mac_address"));
    std::string parent = scalar(entry, "name").substr(0, scalar(entry, "name").find(':'));
    for (const auto& other : config)
        if (scalar(other, "name") == parent && !scalar(other, "mac_address").empty())
            return checked_mac(scalar(other, "mac_address"));
    throw Error("the metadata's IPv6 subnet is on '" + scalar(entry, "name") + "', which has no mac_address");
}

YAML::Node load(const std::string& text, const char* what) {
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw Error(std::string(what) + " is not YAML: " + e.what());
    }
}

} // namespace

std::optional<Ipv6Config> parse_ipv6_config(const std::string& metadata_yaml) {
    YAML::Node root = load(metadata_yaml, "the metadata");
    if (!root.IsMap()) throw Error("the metadata is not a YAML mapping");
    YAML::Node config = root["network-config"] ? sequence(root["network-config"], "config") : YAML::Node();
    for (const auto& entry : config) {
        if (scalar(entry, "type") != "physical") continue;
        for (const auto& subnet : sequence(entry, "subnets")) {
            if (!subnet.IsMap() || !is_static_ipv6(subnet)) continue;
            Ipv6Config ipv6{mac_for(config, entry), checked_address(scalar(subnet, "address")), gateway_of(subnet), {}};
            for (const auto& server : sequence(subnet, "dns_nameservers"))
                if (server.IsScalar() && is_ipv6(server.Scalar())) ipv6.dns.push_back(server.Scalar());
            return ipv6;
        }
    }
    return std::nullopt;
}

std::string render_network_file(const Ipv6Config& config) {
    std::string text =
        "# Written at boot by lethe-metadata from Hetzner Cloud's metadata service\n"
        "# (lethe-hetzner-metadata.service). In /run: each boot fetches it again.\n"
        "[Match]\n"
        "MACAddress=" + config.mac + "\n"
        "\n"
        "[Network]\n"
        "DHCP=ipv4\n"
        "Address=" + config.address + "\n";
    if (!config.gateway.empty()) text += "Gateway=" + config.gateway + "\n";
    for (const auto& server : config.dns) text += "DNS=" + server + "\n";
    return text;
}

std::vector<std::string> parse_public_keys(const std::string& json) {
    YAML::Node list = load(json, "public-keys");
    if (!list.IsSequence()) throw Error("public-keys is not a list");
    std::vector<std::string> keys;
    static const std::regex key_line("(ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/]+=*( [^\\r\\n]*)?");
    for (const auto& item : list) {
        if (!item.IsScalar()) throw Error("public-keys holds something other than a string");
        std::string key = item.Scalar();
        while (!key.empty() && (key.back() == ' ' || key.back() == '\n')) key.pop_back();
        if (!std::regex_match(key, key_line) ||
            std::any_of(key.begin(), key.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
            throw Error("public-keys holds '" + key.substr(0, 40) + "...', which is not one OpenSSH public key line");
        keys.push_back(key);
    }
    return keys;
}

std::string render_authorized_keys(const std::vector<std::string>& keys) {
    std::string text = "# From Hetzner Cloud's metadata service on this instance's first boot (lethe-metadata).\n"
                       "# Edit freely: it is written only when this file does not exist.\n";
    for (const auto& key : keys) text += key + "\n";
    return text;
}

} // namespace lethe::metadata
