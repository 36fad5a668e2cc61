#include "features/tailscale/settings.hpp"

#include "secret/age.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace lethe::features::tailscale {

using namespace spec;
namespace {

// Flags that have a key of their own: given twice, `tailscale up` would take
// the last one, so the recipe would say one thing and the image do another.
const std::vector<std::pair<std::string, std::string>> flags_with_keys = {
    {"--hostname", "hostname"},
    {"--advertise-tags", "advertise_tags"},
    {"--advertise-exit-node", "advertise_exit_node"},
    {"--exit-node", "exit_node"},
    {"--exit-node-allow-lan-access", "exit_node_allow_lan_access"},
    {"--login-server", "login_server"},
    {"--ssh", "ssh"},
};

std::string read_auth_key(const Document& doc, const YAML::Node& node) {
    std::string written = read_string(doc, node, "the path of an age-encrypted auth key");
    std::string path = resolve_relative(doc.path(), written);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        doc.fail_at(node, fmt::format("auth key file '{}' does not exist", path));
    if (!secret::looks_like_age_file(read_file(path)))
        doc.fail_at(
            node,
            fmt::format("'{}' is not an age file: encrypt the auth key first "
                        "(`lethe secret encrypt -r age1... -o tailscale-authkey.age {}`) and name "
                        "the .age file here; an image must never hold the key in plaintext",
                        path, written));
    return path;
}

std::string read_matching(const Document& doc, const YAML::Node& node, const char* expected,
                          const std::regex& pattern, const char* rule) {
    std::string text = read_string(doc, node, expected);
    if (!std::regex_match(text, pattern))
        doc.fail_at(node, fmt::format("'{}' is not {}: {}", text, expected, rule));
    return text;
}

void check_extra_arg(const Document& doc, const YAML::Node& node, const std::string& arg) {
    if (arg.rfind("--", 0) != 0 || arg.size() < 3)
        doc.fail_at(
            node,
            fmt::format(
                "'{}' is not a flag: each of extra_args starts with '--', e.g. --accept-routes",
                arg));
    if (std::any_of(arg.begin(), arg.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
        doc.fail_at(node, "extra_args must not contain control characters or line breaks");
    std::string name = arg.substr(0, arg.find('='));
    if (name == "--auth-key" || name == "--authkey")
        doc.fail_at(
            node,
            fmt::format("'{}' cannot be in extra_args: the auth key is 'auth_key' (an age file), "
                        "decrypted on the instance at boot",
                        name));
    for (const auto& [flag, key] : flags_with_keys)
        if (name == flag)
            doc.fail_at(node, fmt::format("'{}' has a key of its own: use '{}'", flag, key));
}

} // namespace

Settings parse_settings(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "tailscale",
                  {"auth_key", "hostname", "advertise_tags", "advertise_exit_node", "exit_node",
                   "exit_node_allow_lan_access", "login_server", "ssh", "extra_args"});
    Settings ts;
    const YAML::Node auth_key = map.required("auth_key");
    ts.auth_key = read_auth_key(doc, auth_key);
    ts.auth_key_origin = doc.origin(auth_key);
    static const std::regex hostname("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    if (map.has("hostname"))
        ts.hostname = read_matching(doc, map.get("hostname"), "a hostname", hostname,
                                    "letters, digits and inner '-', at most 63");
    if (map.has("advertise_tags")) {
        const YAML::Node list = map.get("advertise_tags");
        static const std::regex tag("tag:[A-Za-z][A-Za-z0-9-]*");
        read_string_list(doc, list, "tags");
        for (const auto& item : list)
            ts.advertise_tags.push_back(read_matching(
                doc, item, "a tag", tag, "expected 'tag:' and a name, e.g. tag:server"));
    }
    if (map.has("advertise_exit_node"))
        ts.advertise_exit_node = read_bool(doc, map.get("advertise_exit_node"));
    static const std::regex node_name("[A-Za-z0-9][A-Za-z0-9.:_-]*");
    if (map.has("exit_node"))
        ts.exit_node = read_matching(doc, map.get("exit_node"), "an exit node", node_name,
                                     "expected a Tailscale IP or a node name, e.g. 100.64.0.1");
    if (!ts.exit_node.empty() && ts.advertise_exit_node)
        doc.fail_at(map.get("exit_node"),
                    "exit_node and advertise_exit_node exclude each other: a node either "
                    "offers itself as an exit node or uses one");
    if (map.has("exit_node_allow_lan_access")) {
        ts.exit_node_allow_lan_access = read_bool(doc, map.get("exit_node_allow_lan_access"));
        if (ts.exit_node_allow_lan_access && ts.exit_node.empty())
            doc.fail_at(map.get("exit_node_allow_lan_access"),
                        "exit_node_allow_lan_access needs exit_node: it is about the exit node "
                        "this machine uses");
    }
    static const std::regex url("https?://[^[:space:]]+");
    if (map.has("login_server"))
        ts.login_server = read_matching(doc, map.get("login_server"), "a URL", url,
                                        "expected the control server's http:// or https:// URL");
    if (map.has("ssh")) ts.ssh = read_bool(doc, map.get("ssh"));
    if (map.has("extra_args")) {
        const YAML::Node list = map.get("extra_args");
        ts.extra_args = read_string_list(doc, list, "flags of `tailscale up`");
        for (size_t i = 0; i < ts.extra_args.size(); ++i)
            check_extra_arg(doc, list[i], ts.extra_args[i]);
    }
    return ts;
}

std::vector<std::string> up_args(const Settings& ts) {
    std::vector<std::string> args;
    if (!ts.hostname.empty()) args.push_back("--hostname=" + ts.hostname);
    if (!ts.advertise_tags.empty()) {
        std::string tags;
        for (const auto& tag : ts.advertise_tags) tags += (tags.empty() ? "" : ",") + tag;
        args.push_back("--advertise-tags=" + tags);
    }
    if (ts.advertise_exit_node) args.push_back("--advertise-exit-node");
    if (!ts.exit_node.empty()) args.push_back("--exit-node=" + ts.exit_node);
    if (ts.exit_node_allow_lan_access) args.push_back("--exit-node-allow-lan-access");
    if (!ts.login_server.empty()) args.push_back("--login-server=" + ts.login_server);
    if (ts.ssh) args.push_back("--ssh");
    args.insert(args.end(), ts.extra_args.begin(), ts.extra_args.end());
    return args;
}

} // namespace lethe::features::tailscale
