#pragma once
// Reading `firewall:` from a recipe, with file:line:column errors: ports that
// are not ports (0, above 65535, from > to), a port or range listed twice or
// overlapping another, interface names the kernel would refuse, CIDRs with
// host bits set, and outbound rules that could not take effect.

#include "features/firewall/firewall.hpp"
#include "spec/yaml_reader.hpp"

namespace lethe::firewall {

Firewall parse_firewall(const spec::Document& doc, const YAML::Node& node);

// "" when TEXT is an IPv4 or IPv6 network in CIDR notation with its host bits
// clear (what Hetzner's API takes); else what is wrong with it.
std::string check_cidr(const std::string& text);

} // namespace lethe::firewall
