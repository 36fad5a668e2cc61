#pragma once
// The same rules for the Hetzner Cloud Firewall, the layer above the machine:
// the rules file of `hcloud firewall create --name NAME --rules-file FILE`
// (Debian package hcloud-cli), written as NAME.hcloud-firewall.json.

#include "features/firewall/firewall.hpp"

#include <string>

namespace lethe::firewall {

// A JSON array of rules, in the schema of Hetzner Cloud's API (POST
// /firewalls, `rules[]`): inbound for each public port from 0.0.0.0/0 and
// ::/0, ICMP when ping is allowed, and the recipe's outbound rules (only if
// it lists any: Hetzner lets all outgoing traffic out while there are none).
// Trusted interfaces have no part in it: Hetzner filters the public NIC only.
std::string render_hcloud_rules(const FirewallPlan& plan);

// NAME.hcloud-firewall.json, beside the disk outputs.
std::string hcloud_rules_file(const std::string& image_name);

} // namespace lethe::firewall
