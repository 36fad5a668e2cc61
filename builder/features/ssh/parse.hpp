#pragma once
// Reading `ssh:` from a recipe, with file:line:column errors: unknown keys
// (with did-you-mean), values sshd does not know, authentication methods the
// same section turns off, host key types listed twice.

#include "features/ssh/ssh.hpp"
#include "spec/yaml_reader.hpp"

namespace lethe::ssh {

Ssh parse_ssh(const spec::Document& doc, const YAML::Node& node);

// "" when TEXT is an AuthenticationMethods value sshd takes (space-separated
// lists of comma-separated methods, or "any"); else what is wrong.
std::string check_authentication_methods(const std::string& text);

} // namespace lethe::ssh
