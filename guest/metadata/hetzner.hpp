#pragma once
// Hetzner Cloud's metadata, turned into files (docs/hetzner.md). Pure: text
// in, text out. The formats, as served at http://169.254.169.254/hetzner/v1/:
//   metadata              YAML; its `network-config` is cloud-init's network
//                         config v1: `config` lists `type: physical` entries
//                         with `mac_address`, `name` and `subnets`; the IPv6
//                         subnet is `type: static`, `ipv6: true`, `address:
//                         2a01:4f8:...::1/64`, `gateway: fe80::1`,
//                         `dns_nameservers`. Older servers list it as a second
//                         entry `name: eth0:0` without a MAC, with the gateway
//                         also (or only) in `routes` as `fe80::1%eth0`.
//   metadata/public-keys  a JSON list of OpenSSH public key lines.

#include <optional>
#include <string>
#include <vector>

namespace lethe::metadata {

struct Ipv6Config {
    std::string mac;     // the NIC's MAC address, lower case
    std::string address; // with its prefix length, e.g. 2a01:4f8:c17:1234::1/64
    std::string gateway; // e.g. fe80::1 (link-local, without %iface)
    std::vector<std::string> dns;
};

// The server's public IPv6 configuration from the metadata document, or
// nothing when the server has no IPv6. Throws Error when the document is not
// YAML, or its IPv6 subnet has a malformed address, gateway or MAC.
std::optional<Ipv6Config> parse_ipv6_config(const std::string& metadata_yaml);

// A systemd-networkd .network file for the NIC with that MAC: DHCPv4 as
// before (the metadata service itself is reached over IPv4) plus the static
// IPv6 address, gateway and DNS servers.
std::string render_network_file(const Ipv6Config& config);

// The keys of metadata/public-keys, in order. Throws Error when it is not a
// list of single-line OpenSSH public keys.
std::vector<std::string> parse_public_keys(const std::string& json);

// authorized_keys: one key a line, after a comment saying where they came from.
std::string render_authorized_keys(const std::vector<std::string>& keys);

} // namespace lethe::metadata
