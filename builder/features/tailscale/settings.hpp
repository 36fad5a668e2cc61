#pragma once
// The recipe's `tailscale:` mapping (docs/tailscale.md), checked the way the
// NixOS tailscale-autoconnect module checks its options, plus what only a
// builder can check: the auth key file must already be an age file.

#include "spec/yaml_reader.hpp"

#include <string>
#include <vector>

namespace lethe::features::tailscale {

// The recipe names an age-encrypted auth key; the image never holds its plaintext.
struct Settings {
    std::string auth_key; // absolute path of the age file
    spec::Origin auth_key_origin;
    std::string hostname;
    std::vector<std::string> advertise_tags; // "tag:server"
    bool advertise_exit_node = false;
    std::string exit_node; // an IP or a node name
    bool exit_node_allow_lan_access = false;
    std::string login_server; // a Headscale or other control server URL
    bool ssh = false;
    std::vector<std::string> extra_args; // each "--flag[=value]", appended verbatim
};

Settings parse_settings(const spec::Document& doc, const YAML::Node& node);

// The flags of `tailscale up` a recipe asks for, in a fixed order, extra_args last.
std::vector<std::string> up_args(const Settings& settings);

} // namespace lethe::features::tailscale
