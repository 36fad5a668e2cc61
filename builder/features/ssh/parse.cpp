#include "features/ssh/parse.hpp"

#include "util/did_you_mean.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <sstream>
#include <tuple>

namespace lethe::ssh {
namespace {

// sshd_config(5), AuthenticationMethods.
const std::vector<std::string> methods = {"publickey", "password", "keyboard-interactive",
                                          "hostbased", "gssapi-with-mic"};

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator))
        if (!part.empty() || separator != ' ') parts.push_back(part);
    return parts;
}

bool mentions(const std::string& methods_text, const std::string& method) {
    for (const auto& list : split(methods_text, ' '))
        for (const auto& item : split(list, ','))
            if (item == method || item.rfind(method + ":", 0) == 0) return true;
    return false;
}

// A method the same section turns off makes every list that names it
// unusable, and one it turns on that no list names is never offered: either
// way sshd would refuse logins the recipe seems to allow, without saying why.
void check_methods_agree(const spec::Document& doc, const spec::MapReader& map, const Ssh& ssh) {
    const std::vector<std::tuple<const char*, const char*, bool>> pairs = {
        {"password", "password_authentication", ssh.password_authentication},
        {"keyboard-interactive", "kbd_interactive_authentication",
         ssh.kbd_interactive_authentication},
    };
    bool any = ssh.authentication_methods == "any";
    for (const auto& [method, key, enabled] : pairs) {
        bool named = any || mentions(ssh.authentication_methods, method);
        if (!enabled && named && !any)
            doc.fail_at(
                map.get("authentication_methods"),
                fmt::format("authentication_methods names '{}', but {} is false: turn it on, "
                            "or leave '{}' out",
                            method, key, method));
        if (enabled && !named)
            doc.fail_at(
                map.get(key),
                fmt::format("{} is true, but authentication_methods is '{}'{}, so sshd would "
                            "never ask for it: add a list with '{}' (e.g. 'publickey {}'), or "
                            "say 'any'",
                            key, ssh.authentication_methods,
                            map.has("authentication_methods") ? "" : " (the default)", method,
                            method));
    }
}

std::vector<std::string> read_host_key_types(const spec::Document& doc, const YAML::Node& node) {
    std::vector<std::string> types = spec::read_string_list(doc, node, "host key types");
    if (types.empty())
        doc.fail_at(node, "host_key_types needs at least one of ed25519, ecdsa or rsa");
    for (size_t i = 0; i < types.size(); ++i) {
        spec::read_choice(doc, node[i], {"ed25519", "ecdsa", "rsa"});
        if (std::find(types.begin(), types.begin() + static_cast<long>(i), types[i]) !=
            types.begin() + static_cast<long>(i))
            doc.fail_at(node[i], fmt::format("'{}' is listed twice", types[i]));
    }
    return types;
}

void read_flags(const spec::Document& doc, const spec::MapReader& map, Ssh& ssh) {
    const std::vector<std::pair<const char*, bool*>> flags = {
        {"password_authentication", &ssh.password_authentication},
        {"kbd_interactive_authentication", &ssh.kbd_interactive_authentication},
        {"x11_forwarding", &ssh.x11_forwarding},
        {"allow_agent_forwarding", &ssh.allow_agent_forwarding},
        {"allow_tcp_forwarding", &ssh.allow_tcp_forwarding},
        {"allow_stream_local_forwarding", &ssh.allow_stream_local_forwarding},
        {"sftp", &ssh.sftp},
    };
    for (const auto& [key, value] : flags)
        if (map.has(key)) *value = spec::read_bool(doc, map.get(key));
}

} // namespace

std::string check_authentication_methods(const std::string& text) {
    if (text == "any") return "";
    std::vector<std::string> lists = split(text, ' ');
    if (lists.empty()) return "authentication_methods is empty: say 'publickey' (the default)";
    for (const auto& list : lists)
        for (const auto& item : split(list, ',')) {
            std::string method = item.substr(0, item.find(':')); // keyboard-interactive:bsdauth
            if (std::find(methods.begin(), methods.end(), method) == methods.end())
                return fmt::format("'{}' is not an authentication method of sshd{}", item,
                                   did_you_mean(method, methods));
        }
    return "";
}

Ssh parse_ssh(const spec::Document& doc, const YAML::Node& node) {
    spec::MapReader map(doc, node, "ssh",
                        {"password_authentication", "kbd_interactive_authentication",
                         "permit_root_login", "x11_forwarding", "allow_agent_forwarding",
                         "allow_tcp_forwarding", "allow_stream_local_forwarding",
                         "authentication_methods", "sftp", "public", "host_key_types"});
    Ssh ssh;
    ssh.origin = doc.origin(node);
    read_flags(doc, map, ssh);
    if (map.has("permit_root_login"))
        ssh.permit_root_login =
            spec::read_choice(doc, map.get("permit_root_login"),
                              {"prohibit-password", "no", "forced-commands-only", "yes"});
    if (map.has("authentication_methods")) {
        const YAML::Node value = map.get("authentication_methods");
        ssh.authentication_methods =
            spec::read_string(doc, value, "authentication methods, e.g. publickey");
        if (std::string wrong = check_authentication_methods(ssh.authentication_methods);
            !wrong.empty())
            doc.fail_at(value, wrong);
    }
    check_methods_agree(doc, map, ssh);
    if (map.has("public")) {
        ssh.open_to_public = spec::read_bool(doc, map.get("public"));
        ssh.public_origin = doc.origin(map.get("public"));
    }
    if (map.has("host_key_types"))
        ssh.host_key_types = read_host_key_types(doc, map.get("host_key_types"));
    return ssh;
}

} // namespace lethe::ssh
