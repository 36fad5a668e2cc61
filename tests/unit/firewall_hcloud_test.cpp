// NAME.hcloud-firewall.json, the rules file of `hcloud firewall create
// --rules-file`: checked field by field against the names and values of
// Hetzner Cloud's API ("Create a Firewall", POST /firewalls, rules[]).

#include "features/firewall/hcloud.hpp"
#include "features/firewall/parse.hpp"
#include "features/firewall/plan.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

using namespace lethe;
using nlohmann::json;

namespace {

json rules_of(const std::string& section, const firewall::Context& context = {}) {
    spec::Document doc = spec::Document::parse("firewall:\n" + section, "r.yaml");
    firewall::FirewallPlan plan = firewall::make_firewall_plan(
        firewall::parse_firewall(doc, doc.root()["firewall"]), context);
    return json::parse(firewall::render_hcloud_rules(plan));
}

firewall::Context tailscale_context(bool exit_node) {
    features::tailscale::Settings tailscale;
    tailscale.advertise_exit_node = exit_node;
    firewall::Context context;
    firewall::add_tailscale(context, tailscale);
    context.ssh = true; // ssh: with its default public: false
    return context;
}

const json any = json::array({"0.0.0.0/0", "::/0"});

// Every rule has only the API's fields, with values the API allows.
void check_schema(const json& rules) {
    REQUIRE(rules.is_array());
    const std::set<std::string> fields = {"direction",  "protocol",        "port",
                                          "source_ips", "destination_ips", "description"};
    for (const auto& rule : rules) {
        for (const auto& [key, value] : rule.items())
            CHECK(fields.count(key) == 1);
        std::string direction = rule.at("direction"), protocol = rule.at("protocol");
        CHECK((direction == "in" || direction == "out"));
        CHECK(std::set<std::string>{"tcp", "udp", "icmp", "esp", "gre"}.count(protocol) == 1);
        // `port` only for tcp and udp; source_ips with "in", destination_ips with "out".
        CHECK(rule.contains("port") == (protocol == "tcp" || protocol == "udp"));
        CHECK(rule.contains("source_ips") == (direction == "in"));
        CHECK(rule.contains("destination_ips") == (direction == "out"));
        CHECK(rule.at("description").is_string());
    }
}

json rule(const char* direction, const char* protocol, const char* port, const char* description) {
    json r = {{"direction", direction}, {"protocol", protocol}};
    if (port) r["port"] = port;
    r[std::string(direction) == "in" ? "source_ips" : "destination_ips"] = any;
    r["description"] = description;
    return r;
}

} // namespace

TEST_CASE("hcloud rules: public ports and ranges, no tailscale", "[firewall][hcloud]") {
    json rules = rules_of("  allowed_tcp_ports: [80, 443, {from: 8000, to: 8010}]\n"
                          "  allowed_udp_ports: [{from: 60000, to: 61000}]\n  hetzner: true\n");
    check_schema(rules);
    CHECK(rules ==
          json::array({rule("in", "tcp", "80", "lethe: allowed_tcp_ports 80"),
                       rule("in", "tcp", "443", "lethe: allowed_tcp_ports 443"),
                       rule("in", "tcp", "8000-8010", "lethe: allowed_tcp_ports 8000-8010"),
                       rule("in", "udp", "60000-61000", "lethe: allowed_udp_ports 60000-61000"),
                       rule("in", "icmp", nullptr, "lethe: allow_ping")}));
    // The same text every time: no ordering left to the JSON library.
    CHECK(rules.dump() ==
          rules_of("  allowed_tcp_ports: [80, 443, {from: 8000, to: 8010}]\n"
                   "  allowed_udp_ports: [{from: 60000, to: 61000}]\n  hetzner: true\n")
              .dump());
}

TEST_CASE("hcloud rules: tailscale keeps ssh off the internet and opens its WireGuard port",
          "[firewall][hcloud]") {
    json rules =
        rules_of("  allowed_tcp_ports: [80, 443]\n  hetzner: true\n", tailscale_context(false));
    check_schema(rules);
    CHECK(rules == json::array({rule("in", "tcp", "80", "lethe: allowed_tcp_ports 80"),
                                rule("in", "tcp", "443", "lethe: allowed_tcp_ports 443"),
                                rule("in", "udp", "41641",
                                     "lethe: tailscale (WireGuard, direct connections)"),
                                rule("in", "icmp", nullptr, "lethe: allow_ping")}));
    for (const auto& r : rules)
        CHECK(r.value("port", "") != "22");
}

TEST_CASE("hcloud rules: an exit node, ping off, public ssh", "[firewall][hcloud]") {
    // Forwarding is the machine's business: the Hetzner rules of an exit node
    // are those of any tailscale node.
    firewall::Context context = tailscale_context(true);
    context.ssh_public = true;
    json rules = rules_of("  allow_ping: false\n  hetzner: true\n", context);
    check_schema(rules);
    CHECK(rules == json::array({rule("in", "tcp", "22", "lethe: ssh (ssh.public)"),
                                rule("in", "udp", "41641",
                                     "lethe: tailscale (WireGuard, direct connections)")}));
    CHECK(rules_of("  allow_ping: false\n  hetzner: true\n") == json::array());
}

TEST_CASE("hcloud rules: outbound rules only when the recipe lists them", "[firewall][hcloud]") {
    json rules = rules_of(
        "  allow_ping: false\n  hetzner: true\n  outbound:\n"
        "    - {protocol: tcp, port: 443, description: https out}\n"
        "    - {protocol: udp, port: {from: 3478, to: 3479}, destination_ips: [192.0.2.0/24, "
        "2001:db8::/32]}\n"
        "    - {protocol: icmp}\n",
        tailscale_context(false));
    check_schema(rules);
    REQUIRE(rules.size() == 4);
    CHECK(rules[0] ==
          rule("in", "udp", "41641", "lethe: tailscale (WireGuard, direct connections)"));
    CHECK(rules[1] == rule("out", "tcp", "443", "https out"));
    CHECK(rules[2] == json({{"direction", "out"},
                            {"protocol", "udp"},
                            {"port", "3478-3479"},
                            {"destination_ips", {"192.0.2.0/24", "2001:db8::/32"}},
                            {"description", "lethe: firewall.outbound"}}));
    CHECK(rules[3] == rule("out", "icmp", nullptr, "lethe: firewall.outbound"));
    CHECK(firewall::hcloud_rules_file("web") == "web.hcloud-firewall.json");
}
