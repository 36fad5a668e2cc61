#pragma once
// The recipe's `tailscale:` mapping, checked the way the NixOS
// tailscale-autoconnect module checks its options, plus what only a builder
// can check: the auth key file must already be an age file.

#include "spec/model.hpp"
#include "spec/yaml_reader.hpp"

namespace lethe::spec {

Tailscale parse_tailscale(const Document& doc, const YAML::Node& node);

} // namespace lethe::spec
