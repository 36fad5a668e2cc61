// The recipe's `firewall:` (builder/features/firewall): reading it, its plan
// against the rest of the recipe, and the nftables ruleset, which every case
// here loads with `nft -c -f` (and, where the machine lets a test make a
// network namespace, for real inside one).

#include "exec/command_runner.hpp"
#include "features/firewall/parse.hpp"
#include "features/firewall/plan.hpp"
#include "features/firewall/ruleset.hpp"
#include "features/firewall/staging.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

firewall::Firewall parse(const std::string& section) {
    spec::Document doc = spec::Document::parse("firewall:\n" + section, "r.yaml");
    return firewall::parse_firewall(doc, doc.root()["firewall"]);
}

std::string parse_error(const std::string& section) {
    return test::bad_input_of([&] { parse(section); });
}

firewall::Context with_tailscale(bool exit_node = false, const std::string& login_server = "") {
    features::tailscale::Settings tailscale;
    tailscale.advertise_exit_node = exit_node;
    tailscale.login_server = login_server;
    firewall::Context context;
    firewall::add_tailscale(context, tailscale);
    return context;
}

firewall::Context with_ssh(firewall::Context context, bool is_public, bool written) {
    context.ssh = true;
    context.ssh_public = is_public;
    context.ssh_public_written = written;
    context.ssh_origin = {"r.yaml", 20, 3};
    return context;
}

firewall::FirewallPlan plan_of(const std::string& section, const firewall::Context& context = {}) {
    return firewall::make_firewall_plan(parse(section), context);
}

std::vector<std::string> ports(const std::vector<firewall::PublicPort>& list) {
    std::vector<std::string> out;
    for (const auto& port : list)
        out.push_back(to_string(port.range) + " " + port.reason);
    return out;
}

// `nft -c -f`: the kernel checks the whole transaction without committing it
// (it needs CAP_NET_ADMIN). Skipped with a warning only where nft is missing.
void check_with_nft(const std::string& ruleset) {
    if (!exec::tool_exists("nft")) {
        WARN("nft is not installed (Debian package nftables): the ruleset is not checked");
        return;
    }
    test::TempDir tmp;
    write_file_atomic(tmp.path / "firewall.nft", ruleset);
    exec::SystemRunner runner;
    CHECK_NOTHROW(runner.run({{"nft", "-c", "-f", (tmp.path / "firewall.nft").string()}}));
}

} // namespace

TEST_CASE("firewall: defaults and every key", "[firewall]") {
    firewall::Firewall empty = parse("  {}\n");
    CHECK(empty.allow_ping);
    CHECK(empty.log_refused);
    CHECK_FALSE(empty.hetzner);
    CHECK(empty.allowed_tcp_ports.empty());

    firewall::Firewall all = parse("  allowed_tcp_ports: [80, 443, {from: 8000, to: 8010}]\n"
                                   "  allowed_udp_ports: [{from: 60000, to: 61000}]\n"
                                   "  trusted_interfaces: [eth1, wg0]\n"
                                   "  allow_ping: false\n  log_refused: false\n  hetzner: true\n"
                                   "  outbound:\n"
                                   "    - {protocol: tcp, port: 443, description: https}\n"
                                   "    - {protocol: udp, port: {from: 3478, to: 3479}, "
                                   "destination_ips: [192.0.2.0/24, 2001:db8::/32]}\n"
                                   "    - {protocol: icmp}\n");
    REQUIRE(all.allowed_tcp_ports.size() == 3);
    CHECK(to_string(all.allowed_tcp_ports[2]) == "8000-8010");
    CHECK(all.allowed_tcp_ports[2].origin.line == 2);
    CHECK(to_string(all.allowed_udp_ports[0]) == "60000-61000");
    CHECK(all.trusted_interfaces == std::vector<std::string>{"eth1", "wg0"});
    CHECK_FALSE(all.allow_ping);
    CHECK_FALSE(all.log_refused);
    REQUIRE(all.outbound.size() == 3);
    CHECK(all.outbound[0].destination_ips == std::vector<std::string>{"0.0.0.0/0", "::/0"});
    CHECK(all.outbound[1].destination_ips ==
          std::vector<std::string>{"192.0.2.0/24", "2001:db8::/32"});
    CHECK_FALSE(all.outbound[2].port);
}

TEST_CASE("firewall: ports that are not ports, twice or overlapping are refused", "[firewall]") {
    CHECK_THAT(parse_error("  allowed_tcp_ports: [0]\n"),
               Catch::StartsWith("r.yaml:2:23: 0 is not a port: ports are 1 to 65535"));
    CHECK_THAT(parse_error("  allowed_tcp_ports: [65536]\n"),
               Catch::StartsWith("r.yaml:2:23: 65536 is not a port"));
    CHECK_THAT(parse_error("  allowed_udp_ports: [http]\n"),
               Catch::StartsWith("r.yaml:2:23: expected a whole number, got 'http'"));
    CHECK_THAT(parse_error("  allowed_tcp_ports: [{from: 2000, to: 1000}]\n"),
               Catch::StartsWith("r.yaml:2:40: the range ends (1000) before it starts (2000)"));
    CHECK_THAT(parse_error("  allowed_tcp_ports: [{from: 2000}]\n"),
               Catch::StartsWith("r.yaml:2:23: a port range needs the key 'to'"));
    CHECK_THAT(
        parse_error("  allowed_tcp_ports: [80, 443, 80]\n"),
        Catch::StartsWith("r.yaml:2:32: 80 is already in allowed_tcp_ports (line 2, column 23)"));
    CHECK_THAT(
        parse_error("  allowed_tcp_ports: [{from: 8000, to: 8010}, 8005]\n"),
        Catch::StartsWith("r.yaml:2:47: 8005 overlaps 8000-8010, already in allowed_tcp_ports"));
    CHECK_THAT(parse_error("  allowed_tcp_ports: 80\n"),
               Catch::StartsWith(
                   "r.yaml:2:22: allowed_tcp_ports is a list of ports or {from, to} ranges"));
    // The same port in TCP and UDP is two different ports.
    CHECK(
        parse("  allowed_tcp_ports: [53]\n  allowed_udp_ports: [53]\n").allowed_udp_ports.size() ==
        1);
}

TEST_CASE("firewall: unknown keys, interface names and outbound rules", "[firewall]") {
    CHECK_THAT(
        parse_error("  allowed_tcp_port: [80]\n"),
        Catch::StartsWith("r.yaml:2:3: unknown key 'allowed_tcp_port' in firewall (did you mean "
                          "'allowed_tcp_ports'?)"));
    CHECK_THAT(
        parse_error("  trusted_interfaces: [a-very-long-name0]\n"),
        Catch::StartsWith("r.yaml:2:24: 'a-very-long-name0' is not an interface name: 1 to 15 "
                          "characters"));
    CHECK(parse("  trusted_interfaces: [a-long-name-15]\n").trusted_interfaces.size() == 1);
    CHECK_THAT(
        parse_error("  trusted_interfaces: [\"eth/1\"]\n"),
        Catch::StartsWith("r.yaml:2:24: 'eth/1' is not an interface name the kernel accepts"));
    CHECK_THAT(parse_error("  trusted_interfaces: [\"eth*\"]\n"),
               Catch::Contains("no '/', ':', spaces, quotes or wildcards"));
    CHECK_THAT(parse_error("  trusted_interfaces: [eth1, eth1]\n"),
               Catch::StartsWith("r.yaml:2:30: 'eth1' is listed twice"));
    CHECK_THAT(parse_error("  trusted_interfaces: [lo]\n"),
               Catch::StartsWith("r.yaml:2:24: 'lo' is always trusted"));
    CHECK_THAT(parse_error("  outbound: [{protocol: tcp, port: 443}]\n"),
               Catch::StartsWith("r.yaml:2:13: outbound rules are for the Hetzner Cloud Firewall"));
    CHECK_THAT(
        parse_error("  hetzner: true\n  outbound: [{protocol: icmp, port: 1}]\n"),
        Catch::StartsWith("r.yaml:3:37: icmp has no ports: only tcp and udp rules take 'port'"));
    CHECK_THAT(parse_error("  hetzner: true\n  outbound: [{protocol: tcp}]\n"),
               Catch::StartsWith("r.yaml:3:14: an outbound rule needs the key 'port'"));
    CHECK_THAT(
        parse_error("  hetzner: true\n  outbound: [{protocol: sctp}]\n"),
        Catch::StartsWith("r.yaml:3:25: unknown value 'sctp': expected 'tcp', 'udp', 'icmp', "
                          "'esp' or 'gre'"));
    CHECK_THAT(
        parse_error("  hetzner: true\n  outbound: [{protocol: tcp, port: 1, destination_ips: "
                    "[10.0.1.1/24]}]\n"),
        Catch::StartsWith("r.yaml:3:57: '10.0.1.1/24' has host bits set: did you mean the network "
                          "10.0.1.0/24, or the host 10.0.1.1/32?"));
    CHECK_THAT(
        parse_error("  trust_tailscale: false\n  trusted_interfaces: [tailscale0]\n"),
        Catch::StartsWith("r.yaml:2:20: trust_tailscale: false, but trusted_interfaces lists "
                          "tailscale0"));
}

TEST_CASE("firewall: CIDRs as Hetzner's API takes them", "[firewall]") {
    CHECK(firewall::check_cidr("0.0.0.0/0").empty());
    CHECK(firewall::check_cidr("::/0").empty());
    CHECK(firewall::check_cidr("10.0.1.1/32").empty());
    CHECK(firewall::check_cidr("2001:db8:ff00:42::8329/128").empty());
    CHECK(firewall::check_cidr("2001:db8:ff00:42::/64").empty());
    CHECK_THAT(firewall::check_cidr("10.0.1.1"),
               Catch::StartsWith("'10.0.1.1' is not in CIDR notation"));
    CHECK_THAT(firewall::check_cidr("10.0.1.0/33"),
               Catch::StartsWith("'/33' is not a prefix length"));
    CHECK_THAT(firewall::check_cidr("10.0.300.0/24"),
               Catch::StartsWith("'10.0.300.0' is not an IPv4"));
    CHECK(firewall::check_cidr("2001:db8::1/64") ==
          "'2001:db8::1/64' has host bits set: did you mean the network 2001:db8::/64, or the host "
          "2001:db8::1/128?");
}

TEST_CASE("firewall: the plan follows tailscale and ssh", "[firewall]") {
    firewall::FirewallPlan none = plan_of("  allowed_tcp_ports: [80, 443]\n");
    CHECK(ports(none.tcp) ==
          std::vector<std::string>{"80 allowed_tcp_ports", "443 allowed_tcp_ports"});
    CHECK(none.udp.empty());
    CHECK(none.trusted_interfaces.empty());
    CHECK_FALSE(none.forward_from_tailscale);

    firewall::FirewallPlan ts = plan_of("  allowed_tcp_ports: [80]\n  trusted_interfaces: [eth1]\n",
                                        with_ssh(with_tailscale(), false, false));
    CHECK(ts.trusted_interfaces == std::vector<std::string>{"tailscale0", "eth1"});
    CHECK(ports(ts.tcp) == std::vector<std::string>{"80 allowed_tcp_ports"});
    CHECK(ports(ts.udp) == std::vector<std::string>{"41641 tailscale"});

    firewall::FirewallPlan closed =
        plan_of("  trust_tailscale: false\n  open_tailscale_port: false\n"
                "  trusted_interfaces: [eth1]\n",
                with_ssh(with_tailscale(), false, false));
    CHECK(closed.trusted_interfaces == std::vector<std::string>{"eth1"});
    CHECK(closed.udp.empty());

    // ssh.public adds 22, once, whether or not the user listed it too.
    CHECK(ports(plan_of("  {}\n", with_ssh({}, true, false)).tcp) ==
          std::vector<std::string>{"22 ssh.public"});
    CHECK(ports(plan_of("  allowed_tcp_ports: [{from: 20, to: 25}]\n", with_ssh({}, true, true))
                    .tcp) == std::vector<std::string>{"20-25 allowed_tcp_ports"});
    CHECK(ports(plan_of("  allowed_udp_ports: [41641]\n", with_tailscale()).udp) ==
          std::vector<std::string>{"41641 allowed_udp_ports"});

    CHECK(plan_of("  {}\n", with_tailscale(true)).forward_from_tailscale);
    features::tailscale::Settings router;
    router.extra_args = {"--advertise-routes=10.0.0.0/24"};
    firewall::Context routes;
    firewall::add_tailscale(routes, router);
    CHECK(plan_of("  {}\n", routes).forward_from_tailscale);
}

TEST_CASE("firewall: contradictions between sections are refused", "[firewall]") {
    auto plan_error = [](const std::string& section, const firewall::Context& context) {
        return test::bad_input_of([&] { plan_of(section, context); });
    };
    CHECK_THAT(
        plan_error("  allowed_tcp_ports: [80, 22]\n", with_ssh(with_tailscale(), false, false)),
        Catch::StartsWith("r.yaml:2:27: allowed_tcp_ports opens port 22 on every interface, but "
                          "ssh.public is false (the default with tailscale:)"));
    CHECK_THAT(
        plan_error("  allowed_tcp_ports: [{from: 1, to: 1024}]\n", with_ssh({}, false, true)),
        Catch::StartsWith("r.yaml:2:23: allowed_tcp_ports opens port 22 on every interface, but "
                          "ssh.public is false: say"));
    CHECK_THAT(plan_error("  trust_tailscale: false\n", with_ssh(with_tailscale(), false, false)),
               Catch::StartsWith("r.yaml:20:3: ssh.public is false and the firewall trusts no "
                                 "interface, so sshd would be reachable from nowhere"));
    CHECK_THAT(plan_error("  trust_tailscale: true\n", {}),
               Catch::StartsWith("r.yaml:2:20: trust_tailscale and open_tailscale_port are about "
                                 "Tailscale, but the recipe has no 'tailscale:'"));
    CHECK_THAT(
        plan_error("  hetzner: true\n  outbound: [{protocol: udp, port: 53}]\n", with_tailscale()),
        Catch::StartsWith("r.yaml:3:14: these outbound rules make the Hetzner Cloud Firewall drop "
                          "all other outgoing traffic, and none lets TCP port 443 out"));
    CHECK_THAT(plan_error("  hetzner: true\n  outbound: [{protocol: tcp, port: 443}]\n",
                          with_tailscale(false, "https://hs.example:8443/")),
               Catch::Contains("none lets TCP port 8443 out"));
    CHECK(plan_of("  hetzner: true\n  outbound: [{protocol: tcp, port: {from: 1, to: 9000}}]\n",
                  with_tailscale(false, "http://[2001:db8::1]:8443"))
              .outbound.size() == 1);
    CHECK_NOTHROW(plan_of("  hetzner: true\n  outbound: [{protocol: udp, port: 53}]\n", {}));
    std::string many = "  hetzner: true\n  allowed_tcp_ports: [";
    for (int port = 1000; port < 1050; ++port)
        many += std::to_string(port) + ", ";
    CHECK_THAT(
        plan_error(many + "2000]\n", {}),
        Catch::StartsWith("r.yaml:2:3: the Hetzner Cloud Firewall takes at most 50 rules, and "
                          "this one needs 52"));
}

TEST_CASE("firewall: the ruleset", "[firewall]") {
    firewall::FirewallPlan plan = plan_of("  allowed_tcp_ports: [80, 443, {from: 8000, to: 8010}]\n"
                                          "  allowed_udp_ports: [5353]\n",
                                          with_ssh(with_tailscale(true), false, false));
    std::string ruleset = firewall::render_ruleset(plan);
    check_with_nft(ruleset);
    // Flush-safe: the table is declared, deleted and defined in one file.
    CHECK_THAT(ruleset, Catch::Contains(
                            "table inet lethe\ndelete table inet lethe\n\ntable inet lethe {\n"));
    CHECK_THAT(ruleset, Catch::Contains("\t\ttype filter hook input priority filter; policy drop;\n"
                                        "\t\tiifname \"lo\" accept\n"));
    CHECK_THAT(ruleset, Catch::Contains("type filter hook forward priority filter; policy drop;"));
    CHECK_THAT(ruleset, Catch::Contains("type filter hook output priority filter; policy accept;"));
    CHECK_THAT(
        ruleset,
        Catch::Contains("\t\tct state established,related accept\n\t\tct state invalid drop\n"));
    CHECK_THAT(ruleset, Catch::Contains("\t\tudp sport 67 udp dport 68 accept\n"));
    CHECK_THAT(ruleset,
               Catch::Contains("icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } ip6 "
                               "hoplimit 255 accept"));
    CHECK_THAT(ruleset, Catch::Contains(
                            "ip6 saddr fe80::/10 icmpv6 type nd-router-advert ip6 hoplimit 255"));
    CHECK_THAT(ruleset,
               Catch::Contains(
                   "\t\ticmp type echo-request accept\n\t\ticmpv6 type echo-request accept\n"));
    CHECK_THAT(ruleset, Catch::Contains("\t\tiifname \"tailscale0\" accept\n"));
    CHECK_THAT(ruleset, Catch::Contains("\t\ttcp dport { 80, 443, 8000-8010 } accept\n"));
    CHECK_THAT(ruleset, Catch::Contains("\t\tudp dport { 5353, 41641 } accept\n"));
    CHECK_THAT(
        ruleset,
        Catch::Contains("limit rate 10/minute burst 20 packets log prefix \"lethe-refused: \""));
    CHECK_THAT(ruleset,
               Catch::Contains("\t\tiifname \"tailscale0\" accept\n\t}\n\n\tchain output"));
    CHECK_THAT(ruleset, !Catch::Contains("dport 22"));
    // Nothing public, no ping, no logging: the basics and the policy only.
    firewall::FirewallPlan shut = plan_of("  allow_ping: false\n  log_refused: false\n");
    std::string closed = firewall::render_ruleset(shut);
    check_with_nft(closed);
    CHECK_THAT(closed, !Catch::Contains("echo-request"));
    CHECK_THAT(closed, !Catch::Contains("log prefix"));
    CHECK_THAT(closed, !Catch::Contains("dport {"));
    CHECK_THAT(closed, Catch::Contains("policy drop;\n\t}\n\n\tchain output"));
    // One port, one interface: no braces.
    std::string single = firewall::render_ruleset(plan_of("  allowed_tcp_ports: [443]\n"
                                                          "  trusted_interfaces: [eth1]\n"));
    check_with_nft(single);
    CHECK_THAT(single, Catch::Contains("\t\ttcp dport 443 accept\n"));
    CHECK_THAT(single, Catch::Contains("\t\tiifname \"eth1\" accept\n"));
}

TEST_CASE("firewall: the exit node's forwarding", "[firewall]") {
    firewall::FirewallPlan exit_node = plan_of("  {}\n", with_tailscale(true));
    CHECK(firewall::render_forwarding_sysctl(exit_node) ==
          "# Rendered by lethe: this image is a Tailscale exit node or subnet router\n"
          "# (tailscale.advertise_exit_node, or --advertise-routes), which Tailscale's\n"
          "# documentation says needs IP forwarding on. The firewall's forward chain\n"
          "# still lets through only what comes in on tailscale0, and its replies.\n"
          "net.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n");
    CHECK(firewall::render_forwarding_sysctl(plan_of("  {}\n", with_tailscale())).empty());
    CHECK(firewall::render_forwarding_sysctl(plan_of("  {}\n")).empty());
    std::string ruleset = firewall::render_ruleset(exit_node);
    check_with_nft(ruleset);
    CHECK_THAT(
        ruleset,
        Catch::Contains(
            "policy drop;\n"
            "\t\t# tailscale exit node / subnet router: from the tailnet out, and the replies\n"
            "\t\tct state established,related accept\n"
            "\t\tct state invalid drop\n"
            "\t\tiifname \"tailscale0\" accept\n\t}\n"));
    CHECK_THAT(
        firewall::render_ruleset(plan_of("  {}\n", with_tailscale())),
        Catch::Contains(
            "chain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n"));
}

TEST_CASE("firewall: loading the ruleset replaces table inet lethe and nothing else",
          "[firewall]") {
    if (!exec::tool_exists("nft") || !exec::tool_exists("unshare") || geteuid() != 0) {
        WARN("needs nft, unshare and root for a network namespace of its own: not loaded for real");
        return;
    }
    test::TempDir tmp;
    write_file_atomic(tmp.path / "old.nft",
                      firewall::render_ruleset(plan_of("  allowed_tcp_ports: [8080, 9090]\n")));
    write_file_atomic(tmp.path / "new.nft",
                      firewall::render_ruleset(plan_of("  allowed_tcp_ports: [80]\n")));
    write_file_atomic(tmp.path / "other.nft",
                      "table inet other {\n\tchain input {\n\t\ttype filter hook "
                      "input priority 10; policy accept;\n\t}\n}\n");
    // In a network namespace of its own: the build machine's rules are untouched.
    std::string script =
        "set -e; cd " + tmp.path.string() +
        "; nft -f other.nft; nft -f new.nft; nft -f old.nft; nft -f new.nft; nft -f "
        "new.nft; nft list tables; nft list table inet lethe";
    std::string listed;
    try {
        listed = exec::SystemRunner().run({{"unshare", "--net", "sh", "-c", script}});
    } catch (const Error& e) {
        if (std::string(e.what()).find("unshare failed") != std::string::npos) {
            WARN("cannot make a network namespace here: " << e.what());
            return;
        }
        throw;
    }
    CHECK_THAT(listed, Catch::StartsWith("table inet other\ntable inet lethe\n"));
    CHECK_THAT(listed, Catch::Contains("tcp dport 80 accept"));
    CHECK_THAT(listed, !Catch::Contains("8080"));
}

TEST_CASE("firewall: the unit and the files it stages", "[firewall]") {
    std::string unit_template =
        read_file(test::source_dir() / "templates/firewall/lethe-firewall.service");
    features::Staging staged =
        firewall::staging(plan_of("  {}\n", with_tailscale(true)), unit_template);
    REQUIRE(staged.files.size() == 2);
    CHECK(staged.files[0].path == "/usr/lib/lethe/firewall.nft");
    CHECK(staged.files[1].path == "/usr/lib/sysctl.d/90-lethe-forwarding.conf");
    CHECK(firewall::staging(plan_of("  {}\n"), unit_template).files.size() == 1);
    REQUIRE(staged.units.size() == 1);
    const std::string& unit = staged.units[0].text;
    CHECK(staged.units[0].name == "lethe-firewall.service");
    for (const char* line :
         {"DefaultDependencies=no\n", "Wants=network-pre.target\n", "Before=network-pre.target\n",
          "ExecStart=/usr/sbin/nft -f /usr/lib/lethe/firewall.nft\n",
          "CapabilityBoundingSet=CAP_NET_ADMIN\n", "ProtectSystem=strict\n",
          "NoNewPrivileges=yes\n", "WantedBy=sysinit.target\n"})
        CHECK_THAT(unit, Catch::Contains(line));
    if (!exec::tool_exists("systemd-analyze")) {
        WARN("systemd-analyze is not installed: the unit is not verified");
        return;
    }
    test::TempDir tmp;
    write_file_atomic(tmp.path / "lethe-firewall.service", unit);
    CHECK_NOTHROW(exec::SystemRunner().run({{"systemd-analyze", "verify", "--man=no",
                                             (tmp.path / "lethe-firewall.service").string()}}));
}

TEST_CASE("firewall: the rootfs must have nft, found inside the tree", "[firewall]") {
    test::TempDir tree;
    CHECK(firewall::check_rootfs(tree.path) ==
          "the recipe has 'firewall:' but the rootfs has no executable /usr/sbin/nft or "
          "/usr/bin/nft: "
          "add the Debian package nftables to the rootfs, or remove 'firewall:'");
    // An absolute link resolves inside the tree, as the booted image sees it,
    // never to the build machine's own /usr/sbin/nft.
    fs::create_directories(tree.path / "usr/sbin");
    fs::create_symlink("/usr/sbin/nft", tree.path / "usr/sbin/nft-link");
    fs::create_symlink("/opt/nft", tree.path / "usr/sbin/nft");
    CHECK_FALSE(firewall::check_rootfs(tree.path).empty());
    CHECK_FALSE(features::tree_has(tree.path, "/usr/sbin/nft-link",
                                   features::RootfsRequirement::Kind::file));
    test::write(tree.path / "opt/nft", "#!/bin/sh\n");
    CHECK_FALSE(firewall::check_rootfs(tree.path).empty()); // not executable
    fs::permissions(tree.path / "opt/nft", fs::perms(0755));
    CHECK(firewall::check_rootfs(tree.path) ==
          "the recipe has 'firewall:' but the rootfs has no /usr/lib/systemd/system/nftables.service or "
          "/lib/systemd/system/nftables.service: add the Debian package nftables to the rootfs, or remove "
          "'firewall:'");
    test::write(tree.path / "lib/systemd/system/nftables.service", "[Unit]\n");
    CHECK(firewall::check_rootfs(tree.path).empty());
    CHECK(features::tree_has(tree.path, "/usr/sbin/nft-link",
                             features::RootfsRequirement::Kind::program));
    CHECK(features::tree_has(tree.path, "/../../opt/nft",
                             features::RootfsRequirement::Kind::program));
}

TEST_CASE("firewall: the plan as `lethe plan` shows it", "[firewall]") {
    nlohmann::ordered_json json = firewall::plan_json(
        plan_of("  allowed_tcp_ports: [80, {from: 8000, to: 8010}]\n  hetzner: true\n"
                "  outbound: [{protocol: tcp, port: 443}]\n",
                with_ssh(with_tailscale(true), false, false)));
    CHECK(
        json.dump() ==
        R"({"ruleset":"/usr/lib/lethe/firewall.nft","unit":"lethe-firewall.service",)"
        R"("public_tcp_ports":[{"port":"80","reason":"allowed_tcp_ports"},{"port":"8000-8010","reason":"allowed_tcp_ports"}],)"
        R"("public_udp_ports":[{"port":"41641","reason":"tailscale"}],"trusted_interfaces":["tailscale0"],)"
        R"("allow_ping":true,"log_refused":"lethe-refused: ","forwarding":"/usr/lib/sysctl.d/90-lethe-forwarding.conf",)"
        R"("hetzner":true,"outbound":[{"protocol":"tcp","port":"443","destination_ips":["0.0.0.0/0","::/0"]}]})");
    nlohmann::ordered_json quiet = firewall::plan_json(plan_of("  log_refused: false\n"));
    CHECK(quiet["log_refused"].is_null());
    CHECK(quiet["forwarding"].is_null());
}
