// The posture features as a recipe turns them on (builder/features/ssh,
// firewall, audit through the registry): how their plans depend on each
// other and on tailscale:, what they stage, the Hetzner rules published
// beside the disk, and mount options on persisted paths from the layout
// to lethe-init's remount.

#include "feature_test_support.hpp"
#include "features/audit/feature.hpp"
#include "features/firewall/feature.hpp"
#include "features/ssh/feature.hpp"
#include "initrd/failure.hpp"
#include "initrd/init_config.hpp"
#include "initrd/persisted_paths.hpp"
#include "plan/plan_json.hpp"
#include "stage/tree_root.hpp"
#include "util/file.hpp"

#include <nlohmann/json.hpp>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;
using test::error_of;
using test::feature;
using test::plan_of;

namespace {

const std::string tailscale = "tailscale: {auth_key: " + (test::source_dir() / "tests/golden/recipes/tailscale-authkey.age").string() + "}\n";

std::vector<std::string> keys(const plan::Plan& plan) {
    std::vector<std::string> out;
    for (const auto& f : plan.features)
        if (f->key() != "network") out.emplace_back(f->key()); // DHCP, on by default
    return out;
}

const plan::PersistEntry* persisted(const plan::Plan& plan, const std::string& path) {
    for (const auto& e : plan.persisted)
        if (e.path == path) return &e;
    return nullptr;
}

} // namespace

TEST_CASE("posture: the seed's recipe, planned", "[posture]") {
    plan::Plan plan = plan_of(tailscale + "ssh: {}\nfirewall: {allowed_tcp_ports: [80, 443]}\naudit: {exec: true}\n");
    CHECK(keys(plan) == std::vector<std::string>{"tailscale", "ssh", "firewall", "audit"});
    auto ssh = feature<ssh::SshFeature>(plan);
    REQUIRE(ssh);
    CHECK_FALSE(ssh->plan.open_to_public); // the default with tailscale:
    auto firewall = feature<firewall::FirewallFeature>(plan);
    REQUIRE(firewall);
    CHECK(firewall->plan.trusted_interfaces == std::vector<std::string>{"tailscale0"});
    REQUIRE(firewall->plan.tcp.size() == 2); // no 22
    CHECK(firewall->plan.udp.size() == 1);   // 41641 for tailscale
    // /etc/ssh (host keys) and /var/log/audit persisted although the layout names neither.
    REQUIRE(persisted(plan, "/etc/ssh"));
    REQUIRE(persisted(plan, "/var/log/audit"));
    CHECK(persisted(plan, "/var/log/audit")->group == "adm");
    auto json = plan::to_json(plan);
    CHECK(json["firewall"]["public_tcp_ports"].size() == 2);
    CHECK(json["ssh"]["public"] == false);
    CHECK(json["audit"]["key"] == "lethe-exec");
    CHECK(firewall->output_files("web").empty()); // no hetzner: true
}

TEST_CASE("posture: ssh is public without tailscale, and the firewall follows", "[posture]") {
    plan::Plan plan = plan_of("ssh: {}\nfirewall: {allowed_tcp_ports: [{from: 8000, to: 8080}]}\n");
    REQUIRE(feature<firewall::FirewallFeature>(plan));
    const auto& tcp = feature<firewall::FirewallFeature>(plan)->plan.tcp;
    REQUIRE(tcp.size() == 2);
    CHECK(tcp[1].reason == "ssh.public");
    // The layout persisting /var/log already covers /var/log/audit.
    plan::Plan covered = plan_of("audit: {exec: true}\n", "[/var/lib, /var/log, /root/.ssh]");
    CHECK_FALSE(persisted(covered, "/var/log/audit"));
    CHECK(keys(plan_of("audit: {exec: false}\n")).empty());
}

TEST_CASE("posture: contradictions between sections name where they are written", "[posture]") {
    // The recipe's lines: 1-7 are those of test::recipe_text.
    CHECK_THAT(error_of("ssh: {public: false}\n"),
               Catch::StartsWith("r.yaml:8:15: ssh.public is false, but the recipe has no 'firewall:'"));
    CHECK_THAT(error_of(tailscale + "ssh: {}\nfirewall: {allowed_tcp_ports: [22]}\n"),
               Catch::StartsWith("r.yaml:10:32: allowed_tcp_ports opens port 22 on every interface, but "
                                 "ssh.public is false (the default with tailscale:)"));
    CHECK_THAT(error_of("ssh: {public: false}\nfirewall: {}\n"),
               Catch::StartsWith("r.yaml:8:15: ssh.public is false and the firewall trusts no interface"));
    CHECK_THAT(error_of("firewal: {}\n"), Catch::Contains("did you mean 'firewall'?"));
}

TEST_CASE("posture: the Hetzner Cloud Firewall rules are an output of the build", "[posture][hcloud]") {
    plan::Plan plan = plan_of(tailscale + "ssh: {}\nfirewall: {allowed_tcp_ports: [443], hetzner: true}\n");
    auto files = feature<firewall::FirewallFeature>(plan)->output_files("web");
    REQUIRE(files.size() == 1);
    CHECK(files[0].name == "web.hcloud-firewall.json");
    auto rules = nlohmann::json::parse(files[0].content);
    REQUIRE(rules.is_array());
    std::vector<std::string> ports;
    for (const auto& rule : rules) {
        CHECK(rule["direction"] == "in");
        if (rule.contains("port")) ports.push_back(rule["protocol"].get<std::string>() + "/" + rule["port"].get<std::string>());
    }
    CHECK(ports == std::vector<std::string>{"tcp/443", "udp/41641"});
}

TEST_CASE("posture: staged into a tree, refused without the packages", "[posture]") {
    test::TempDir tree;
    exec::RecordingRunner runner;
    plan::Plan plan = plan_of("ssh: {}\nfirewall: {}\naudit: {exec: true}\n");
    for (const auto& f : plan.features)
        if (f->key() != "network") CHECK(test::bad_input_of([&] { test::stage_feature(*f, tree.path, runner); }).find("add the Debian package") !=
              std::string::npos);
    test::write(tree.path / "usr/sbin/nft", "#!/bin/true\n");
    fs::permissions(tree.path / "usr/sbin/nft", fs::perms(0755));
    test::write(tree.path / "usr/lib/systemd/system/nftables.service", "[Unit]\n");
    auto units = test::stage_feature(*feature<firewall::FirewallFeature>(plan), tree.path, runner);
    CHECK(units == std::vector<std::string>{"lethe-firewall.service"});
    CHECK_THAT(read_file(tree.path / "usr/lib/lethe/firewall.nft"), Catch::Contains("table inet lethe"));
    CHECK(fs::is_symlink(tree.path / "etc/systemd/system/sysinit.target.wants/lethe-firewall.service"));

    for (const char* program : {"usr/sbin/auditd", "usr/sbin/augenrules"}) {
        test::write(tree.path / program, "#!/bin/true\n");
        fs::permissions(tree.path / program, fs::perms(0755));
    }
    test::write(tree.path / "lib/systemd/system/auditd.service", "[Unit]\n");
    CHECK(test::stage_feature(*feature<audit::AuditFeature>(plan), tree.path, runner) ==
          std::vector<std::string>{"auditd.service"});
    REQUIRE(runner.commands.size() == 1);
    CHECK(exec::to_string(runner.commands[0]) ==
          "systemctl --root=" + tree.path.string() + " --quiet enable auditd.service");
    CHECK((fs::status(tree.path / "etc/audit/rules.d/50-lethe-exec.rules").permissions() & fs::perms::all) ==
          fs::perms(0640));
}

TEST_CASE("persisted paths: mount options from the layout to init.conf", "[posture][mount-options]") {
    plan::Plan plan = plan_of("", "[/var/lib, /root/.ssh, {path: /srv, options: [noexec, nodev]}]");
    REQUIRE(persisted(plan, "/srv"));
    CHECK(persisted(plan, "/srv")->options == std::vector<std::string>{"noexec", "nodev"});
    auto entries = plan::to_json(plan)["persistence"]["entries"];
    bool shown = false;
    for (const auto& e : entries) shown = shown || (e["path"] == "/srv" && e["options"][0] == "noexec");
    CHECK(shown);
    CHECK_THAT(error_of("", "[{path: /srv, options: [noexe]}]"),
               Catch::StartsWith("r.yaml:7:91: unknown mount option 'noexe' (did you mean 'noexec'?)"));

    init::InitConfig config;
    config.usr = {"PARTLABEL=usr", "erofs"};
    config.persist = {"PARTLABEL=persist", "ext4"};
    config.persist_mount = "/persist";
    config.root_tmpfs_options = "size=64M";
    config.binds = {{"/srv", true, 0, 0, 0755, "noexec,nodev"}, {"/var/lib", true, 0, 0, 0755, ""}};
    std::string text = init::render_init_config(config);
    CHECK_THAT(text, Catch::Contains("\nbind dir /srv 0 0 0755 noexec,nodev\nbind dir /var/lib 0 0 0755\n"));
    CHECK(init::parse_init_config(text) == config);
    auto refused = [&](const std::string& line) {
        try {
            init::parse_init_config(text + line + "\n");
        } catch (const init::Failure& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(refused("bind dir /opt 0 0 0755 noexec,suid"), Catch::Contains("bad bind option 'suid'"));
    CHECK_THAT(refused("bind dir /opt 0 0 0755 noexec x"), Catch::Contains("at most 6 fields"));
}

TEST_CASE("lethe-init: persisted paths are nosuid,nodev, and noexec only when listed", "[posture][init]") {
    if (geteuid() != 0) {
        WARN("not root: the bind mounts are not made");
        return;
    }
    test::TempDir tmp;
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) { // a mount namespace of its own, so the machine is left alone
        int status = 1;
        if (unshare(CLONE_NEWNS) == 0 && mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) {
            std::string persist = (tmp.path / "persist").string(), root = (tmp.path / "root").string();
            fs::create_directories(persist);
            if (mount("tmpfs", persist.c_str(), "tmpfs", init::persist_mount_flags, "size=1m") == 0) {
                try {
                    init::bind_mount(init::prepare_bind(root, persist, {"/srv", true, 0, 0, 0755, "noexec"}));
                    init::bind_mount(init::prepare_bind(root, persist, {"/var/lib", true, 0, 0, 0755, ""}));
                    struct statvfs srv {}, lib {};
                    statvfs((root + "/srv").c_str(), &srv);
                    statvfs((root + "/var/lib").c_str(), &lib);
                    bool ok = (srv.f_flag & ST_NOEXEC) && (srv.f_flag & ST_NOSUID) && (srv.f_flag & ST_NODEV) &&
                              !(lib.f_flag & ST_NOEXEC) && (lib.f_flag & ST_NOSUID) && (lib.f_flag & ST_NODEV);
                    status = ok ? 0 : 3;
                } catch (...) {
                    status = 4;
                }
            }
        }
        _exit(status);
    }
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
