#pragma once
// The firewall as one nftables file (`nft -f`), and the sysctl.d file an exit
// node needs. Pure text from the plan; unit tests load every rendering with
// `nft -c -f`.

#include "features/firewall/firewall.hpp"

#include <string>

namespace lethe::firewall {

// `table inet lethe`, replaced as a whole in one transaction: the file first
// declares the table (creating it if absent), deletes it, and defines it
// again, so loading it twice, or over an older version, leaves exactly this
// table and never touches other tables (tailscaled's, Docker's).
std::string render_ruleset(const FirewallPlan& plan);

// net.ipv4.ip_forward and net.ipv6.conf.all.forwarding on (what Tailscale's
// docs ask of an exit node or subnet router); "" when the plan forwards nothing.
std::string render_forwarding_sysctl(const FirewallPlan& plan);

} // namespace lethe::firewall
