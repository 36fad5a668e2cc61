#pragma once
// The recipe's `firewall:` (docs/security.md): what the user wrote, and the
// plan made from it and the rest of the recipe. The names follow NixOS's
// networking.firewall options in snake_case (allowed_tcp_ports,
// trusted_interfaces, allow_ping, log_refused...), so the people who wrote
// NixOS configurations recognise them.

#include "spec/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lethe::firewall {

// Where the firewall lives in the image, and the constants its rules follow.
inline constexpr const char* ruleset_file = "/usr/lib/lethe/firewall.nft";
inline constexpr const char* unit_name = "lethe-firewall.service";
inline constexpr const char* forwarding_sysctl_file = "/usr/lib/sysctl.d/90-lethe-forwarding.conf";
inline constexpr const char* table_name = "lethe"; // `table inet lethe`
// A fixed prefix, so `journalctl -k -g lethe-refused` finds every refused attempt.
inline constexpr const char* log_prefix = "lethe-refused: ";
inline constexpr const char* tailscale_interface = "tailscale0";
// tailscaled's default WireGuard port (`tailscaled --port`); lethe does not change it.
inline constexpr uint16_t tailscale_port = 41641;
inline constexpr uint16_t ssh_port = 22;

// One port (from == to) or an inclusive range.
struct PortRange {
    uint16_t from = 0;
    uint16_t to = 0;
    spec::Origin origin{};
};
std::string to_string(const PortRange& range); // "80" or "1000-2000"
bool covers(const PortRange& range, uint16_t port);

// A rule of the Hetzner Cloud Firewall for traffic leaving the server. Listing
// any makes Hetzner drop every other outgoing packet, so they only go into
// NAME.hcloud-firewall.json; the image's own output chain accepts all.
struct OutboundRule {
    std::string protocol;                     // tcp, udp, icmp, esp, gre
    std::optional<PortRange> port;            // tcp and udp only (required there)
    std::vector<std::string> destination_ips; // CIDRs; default 0.0.0.0/0 and ::/0
    std::string description;
    spec::Origin origin{};
};

// The `firewall:` section as written (checked on its own).
struct Firewall {
    std::vector<PortRange> allowed_tcp_ports;
    std::vector<PortRange> allowed_udp_ports;
    std::vector<std::string> trusted_interfaces;
    bool allow_ping = true;
    bool log_refused = true;
    bool hetzner = false; // also write NAME.hcloud-firewall.json
    std::vector<OutboundRule> outbound;
    // With `tailscale:` in the recipe, tailscale0 is trusted and UDP 41641 is
    // public unless these say false. Unset: the default.
    std::optional<bool> trust_tailscale;
    std::optional<bool> open_tailscale_port;
    spec::Origin origin{};           // of the `firewall:` mapping
    spec::Origin tailscale_origin{}; // of trust_tailscale / open_tailscale_port, for errors
};

// What other sections of the recipe decide for the firewall.
struct Context {
    bool tailscale = false;           // the recipe has `tailscale:`
    bool tailscale_forwards = false;  // advertise_exit_node, or --advertise-routes in extra_args
    uint16_t login_server_port = 443; // the control server's port, for the Hetzner outbound check
    bool ssh = false;                 // the recipe has `ssh:`
    bool ssh_public = false;          // `ssh.public` as planned (its default: no tailscale)
    bool ssh_public_written = false;  // the recipe wrote `public:` itself
    spec::Origin ssh_origin{};        // of `ssh.public`, or of `ssh:`
};

// A port open on every interface, and why (for comments, plans and the
// Hetzner rules' descriptions).
struct PublicPort {
    PortRange range;
    std::string reason; // "allowed_tcp_ports", "ssh.public", "tailscale"
};

struct FirewallPlan {
    std::vector<PublicPort> tcp;
    std::vector<PublicPort> udp;
    std::vector<std::string> trusted_interfaces; // tailscale0 first when trusted
    bool allow_ping = true;
    bool log_refused = true;
    bool forward_from_tailscale = false; // exit node or subnet router: forwarding on
    bool hetzner = false;
    std::vector<OutboundRule> outbound;
};

} // namespace lethe::firewall
