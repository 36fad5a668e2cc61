// The recipe's `ssh:` (builder/features/ssh): reading it, its plan, and the
// image's sshd_config, which `sshd -T` (OpenSSH on this machine) must read
// as the lockdown even when the instance's persisted files say otherwise.

#include "exec/command_runner.hpp"
#include "features/firewall/plan.hpp"
#include "features/ssh/parse.hpp"
#include "features/ssh/plan.hpp"
#include "features/ssh/sshd_config.hpp"
#include "features/ssh/staging.hpp"
#include "stage/template.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

ssh::Ssh parse(const std::string& section) {
    spec::Document doc = spec::Document::parse("ssh:\n" + section, "r.yaml");
    return ssh::parse_ssh(doc, doc.root()["ssh"]);
}

std::string parse_error(const std::string& section) {
    return test::bad_input_of([&] { parse(section); });
}

ssh::SshPlan plan_of(const std::string& section, bool tailscale = true) {
    return ssh::make_ssh_plan(parse(section), tailscale, true);
}

// sshd -T needs its privilege separation directory, /run/sshd, which only a
// running ssh.service makes: without it, sshd -T runs in a mount namespace
// of its own with a fresh /run, so the build machine is left as it was.
// Returns "" (with a warning) where sshd or that namespace is not to be had.
std::string sshd_effective(const std::string& config, const std::string& connection = "") {
    if (!exec::tool_exists("sshd") && !exec::tool_exists("/usr/sbin/sshd")) {
        WARN("sshd is not installed (Debian package openssh-server): the configuration is not "
             "checked");
        return "";
    }
    std::string sshd = exec::tool_exists("sshd") ? "sshd" : "/usr/sbin/sshd";
    std::vector<std::string> argv = {sshd, "-T", "-f", config};
    if (!connection.empty()) argv.insert(argv.end(), {"-C", connection});
    if (fs::is_directory("/run/sshd")) return exec::SystemRunner().run({argv});
    if (geteuid() != 0 || !exec::tool_exists("unshare")) {
        WARN("no /run/sshd, and no root or unshare to make one in a namespace: not checked");
        return "";
    }
    std::vector<std::string> wrapped = {
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        "mount -t tmpfs tmpfs /run && mkdir /run/sshd && exec \"$@\"",
        "sh"};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return exec::SystemRunner().run({wrapped});
}

// A scratch /etc/ssh: a host key, and local files that try to loosen everything.
struct SshDir {
    test::TempDir tmp;
    ssh::SshdPaths paths;
    SshDir() {
        paths.host_key_directory = tmp.path.string();
        paths.local_config_glob = (tmp.path / "sshd_config.d/*.conf").string();
        exec::SystemRunner().run({{"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                                   (tmp.path / "ssh_host_ed25519_key").string()}});
        test::write(
            tmp.path / "sshd_config.d/50-loose.conf",
            "PasswordAuthentication yes\nKbdInteractiveAuthentication yes\nPermitRootLogin yes\n"
            "X11Forwarding yes\nAllowAgentForwarding yes\nAllowTcpForwarding yes\n"
            "AllowStreamLocalForwarding yes\nAuthenticationMethods password\nClientAliveInterval "
            "30\n"
            "Match User bob\n  PasswordAuthentication yes\n  AllowTcpForwarding yes\n"
            "  PermitRootLogin yes\n  AuthenticationMethods password\n");
    }
    std::string write(const ssh::SshPlan& plan) const {
        std::string config = (tmp.path / "sshd_config").string();
        write_file_atomic(config, ssh::render_sshd_config(plan, paths));
        return config;
    }
};

const std::vector<std::string> lockdown = {
    "passwordauthentication no",        "kbdinteractiveauthentication no",
    "permitrootlogin without-password", "x11forwarding no",
    "allowagentforwarding no",          "allowtcpforwarding no",
    "allowstreamlocalforwarding no",    "authenticationmethods publickey",
    "subsystem sftp internal-sftp",
};

} // namespace

TEST_CASE("ssh: the seed's lockdown is the default", "[ssh]") {
    ssh::Ssh s = parse("  {}\n");
    CHECK_FALSE(s.password_authentication);
    CHECK_FALSE(s.kbd_interactive_authentication);
    CHECK(s.permit_root_login == "prohibit-password");
    CHECK_FALSE(s.x11_forwarding);
    CHECK_FALSE(s.allow_agent_forwarding);
    CHECK_FALSE(s.allow_tcp_forwarding);
    CHECK_FALSE(s.allow_stream_local_forwarding);
    CHECK(s.authentication_methods == "publickey");
    CHECK(s.sftp);
    CHECK_FALSE(s.open_to_public.has_value());
    CHECK(s.host_key_types == std::vector<std::string>{"ed25519"});

    ssh::Ssh all =
        parse("  password_authentication: true\n  kbd_interactive_authentication: true\n"
              "  permit_root_login: 'no'\n  x11_forwarding: true\n  allow_agent_forwarding: true\n"
              "  allow_tcp_forwarding: true\n  allow_stream_local_forwarding: true\n"
              "  authentication_methods: publickey,password keyboard-interactive\n"
              "  sftp: false\n  public: true\n  host_key_types: [ed25519, rsa]\n");
    CHECK(all.password_authentication);
    CHECK(all.permit_root_login == "no");
    CHECK(all.authentication_methods == "publickey,password keyboard-interactive");
    CHECK_FALSE(all.sftp);
    CHECK(all.open_to_public == std::optional<bool>(true));
    CHECK(all.public_origin.line == 11);
    CHECK(all.host_key_types == std::vector<std::string>{"ed25519", "rsa"});
}

TEST_CASE("ssh: mistakes and contradictions are refused where they are written", "[ssh]") {
    CHECK_THAT(
        parse_error("  pasword_authentication: true\n"),
        Catch::StartsWith("r.yaml:2:3: unknown key 'pasword_authentication' in ssh (did you mean "
                          "'password_authentication'?)"));
    CHECK_THAT(parse_error("  permit_root_login: without-password\n"),
               Catch::StartsWith("r.yaml:2:22: unknown value 'without-password': expected "
                                 "'prohibit-password', 'no', 'forced-commands-only' or 'yes'"));
    CHECK_THAT(parse_error("  authentication_methods: publickey,pubkey\n"),
               Catch::StartsWith("r.yaml:2:27: 'pubkey' is not an authentication method of sshd"));
    CHECK_THAT(parse_error("  authentication_methods: publickey,passwrd\n"),
               Catch::Contains("(did you mean 'password'?)"));
    CHECK_THAT(parse_error("  authentication_methods: publickey,password\n"),
               Catch::StartsWith("r.yaml:2:27: authentication_methods names 'password', but "
                                 "password_authentication is false"));
    CHECK_THAT(parse_error("  password_authentication: true\n"),
               Catch::StartsWith(
                   "r.yaml:2:28: password_authentication is true, but authentication_methods "
                   "is 'publickey' (the default), so sshd would never ask for it"));
    CHECK_THAT(
        parse_error(
            "  kbd_interactive_authentication: true\n  authentication_methods: publickey\n"),
        Catch::Contains("kbd_interactive_authentication is true, but authentication_methods is "
                        "'publickey', so"));
    CHECK(parse("  password_authentication: true\n  authentication_methods: any\n")
              .password_authentication);
    CHECK(parse("  kbd_interactive_authentication: true\n"
                "  authentication_methods: publickey keyboard-interactive:pam\n")
              .kbd_interactive_authentication);
    CHECK_THAT(parse_error("  host_key_types: [dsa]\n"),
               Catch::StartsWith(
                   "r.yaml:2:20: unknown value 'dsa': expected 'ed25519', 'ecdsa' or 'rsa'"));
    CHECK_THAT(parse_error("  host_key_types: [rsa, rsa]\n"),
               Catch::StartsWith("r.yaml:2:25: 'rsa' is listed twice"));
    CHECK_THAT(parse_error("  host_key_types: []\n"),
               Catch::StartsWith("r.yaml:2:19: host_key_types needs at least one"));
    CHECK_THAT(parse_error("  sftp: maybe\n"),
               Catch::StartsWith("r.yaml:2:9: expected true or false, got 'maybe'"));
}

TEST_CASE("ssh: public defaults to false with tailscale, and needs a firewall to mean it",
          "[ssh]") {
    CHECK_FALSE(plan_of("  {}\n", true).open_to_public);
    CHECK(plan_of("  {}\n", false).open_to_public);
    CHECK(plan_of("  public: true\n", true).open_to_public);
    CHECK_FALSE(plan_of("  public: false\n", false).open_to_public);
    CHECK_THAT(
        test::bad_input_of([] { ssh::make_ssh_plan(parse("  public: false\n"), false, false); }),
        Catch::StartsWith("r.yaml:2:11: ssh.public is false, but the recipe has no 'firewall:'"));
    // Without a firewall the default changes nothing, so it is no error.
    CHECK_FALSE(ssh::make_ssh_plan(parse("  {}\n"), true, false).open_to_public);

    ssh::SshPlan plan = plan_of("  {}\n");
    nlohmann::ordered_json json = ssh::plan_json(plan);
    CHECK(json["config"] == "/usr/lib/lethe/ssh/sshd_config");
    CHECK(json["public"] == false);
    CHECK(json["host_key_types"] == nlohmann::json::array({"ed25519"}));

    // The firewall hears it: public false keeps 22 out, and a listed 22 is refused.
    firewall::Context context;
    firewall::add_ssh(context, plan.open_to_public, plan.public_written, plan.settings.origin);
    CHECK(context.ssh);
    CHECK_FALSE(context.ssh_public);
}

TEST_CASE("ssh: the rendered sshd_config", "[ssh]") {
    std::string config = ssh::render_sshd_config(plan_of("  host_key_types: [ed25519, rsa]\n"));
    CHECK_THAT(config,
               Catch::Contains("# sshd keeps the first value it reads: the lockdown comes first.\n"
                               "PasswordAuthentication no\n"
                               "KbdInteractiveAuthentication no\n"
                               "PermitRootLogin prohibit-password\n"
                               "X11Forwarding no\n"
                               "AllowAgentForwarding no\n"
                               "AllowTcpForwarding no\n"
                               "AllowStreamLocalForwarding no\n"
                               "AuthenticationMethods publickey\n"));
    CHECK_THAT(config,
               Catch::Contains(
                   "HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_rsa_key\n"));
    CHECK_THAT(
        config,
        Catch::Contains(
            "UsePAM yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem sftp internal-sftp\n"));
    CHECK_THAT(config,
               Catch::EndsWith(
                   "Match all\n\tPasswordAuthentication no\n\tKbdInteractiveAuthentication no\n"
                   "\tPermitRootLogin prohibit-password\n\tX11Forwarding no\n"
                   "\tAllowAgentForwarding no\n\tAllowTcpForwarding no\n"
                   "\tAllowStreamLocalForwarding no\n\tAuthenticationMethods publickey\n"
                   "\tInclude /etc/ssh/sshd_config.d/*.conf\n"));
    CHECK_THAT(ssh::render_sshd_config(plan_of("  sftp: false\n")), !Catch::Contains("Subsystem"));
    CHECK(ssh::host_key_files(plan_of("  {}\n")) ==
          std::vector<std::string>{"/etc/ssh/ssh_host_ed25519_key"});
}

TEST_CASE("ssh: sshd -T reads the lockdown, whatever the persisted files say", "[ssh]") {
    SshDir dir;
    std::string effective = sshd_effective(dir.write(plan_of("  {}\n")));
    if (effective.empty()) return;
    for (const auto& line : lockdown)
        CHECK_THAT(effective, Catch::Contains("\n" + line + "\n"));
    CHECK_THAT(effective, Catch::Contains("\nhostkey " + dir.paths.host_key_directory +
                                          "/ssh_host_ed25519_key\n"));
    CHECK_THAT(effective, Catch::Contains("\nusepam yes\n"));
    // What the lockdown does not decide, the instance's own file may add.
    CHECK_THAT(effective, Catch::Contains("\nclientaliveinterval 30\n"));
    // A Match block of the persisted file changes nothing either.
    std::string bob =
        sshd_effective(dir.write(plan_of("  {}\n")), "user=bob,host=h.example,addr=192.0.2.1");
    for (const auto& line : lockdown)
        CHECK_THAT(bob, Catch::Contains("\n" + line + "\n"));

    // The recipe, not the persisted file, decides: a rebuilt image that
    // allows passwords makes sshd allow them, on the same /etc/ssh.
    std::string changed = sshd_effective(
        dir.write(plan_of("  password_authentication: true\n  authentication_methods: publickey "
                          "password\n  sftp: false\n")));
    CHECK_THAT(changed, Catch::Contains("\npasswordauthentication yes\n"));
    CHECK_THAT(changed, Catch::Contains("\nauthenticationmethods publickey password\n"));
    CHECK_THAT(changed, Catch::Contains("\nx11forwarding no\n"));
    CHECK_THAT(changed, !Catch::Contains("subsystem sftp"));
    // "any" is left to sshd's default, so the instance's file may narrow it.
    std::string any = sshd_effective(
        dir.write(plan_of("  password_authentication: true\n  authentication_methods: any\n")));
    CHECK_THAT(any, Catch::Contains("\npasswordauthentication yes\n"));
    CHECK_THAT(any, Catch::Contains("\nauthenticationmethods password\n"));
    CHECK_THAT(ssh::render_sshd_config(
                   plan_of("  password_authentication: true\n  authentication_methods: any\n")),
               !Catch::Contains("AuthenticationMethods"));
}

TEST_CASE("ssh: the persisted sshd_config points at the image's", "[ssh]") {
    SshDir dir;
    std::string image_config = dir.write(plan_of("  {}\n"));
    std::string pointer_template = read_file(test::source_dir() / "templates/ssh/sshd_config");
    std::string pointer = (dir.tmp.path / "pointer").string();
    write_file_atomic(
        pointer,
        stage::render_template(pointer_template, {{"SSHD_CONFIG", image_config}}, "sshd_config"));
    std::string direct = sshd_effective(image_config);
    if (direct.empty()) return;
    CHECK(sshd_effective(pointer) == direct);
}

namespace {

// A root holding systemd's targets (from this machine), the units the
// drop-ins extend, the drop-ins and stand-ins for the programs they run,
// for `systemd-analyze verify --root`. "" where systemd is not installed.
std::string verify_in_root(const fs::path& root, const features::Staging& staged,
                           const std::string& unit, const std::string& unit_text) {
    const fs::path host_units = "/usr/lib/systemd/system";
    if (!exec::tool_exists("systemd-analyze") || !fs::exists(host_units / "sysinit.target"))
        return "";
    fs::create_directories(root / "usr/lib/systemd/system");
    for (const auto& entry : fs::directory_iterator(host_units))
        if (entry.path().extension() == ".target")
            fs::copy_file(entry.path(), root / "usr/lib/systemd/system" / entry.path().filename(),
                          fs::copy_options::skip_existing);
    test::write(root / "usr/lib/systemd/system" / unit, unit_text);
    for (const auto& file : staged.files)
        test::write(root / fs::path(file.path).relative_path(), file.content);
    for (const char* program : {"usr/sbin/sshd", "usr/bin/ssh-keygen", "bin/sh", "bin/kill"}) {
        test::write(root / program, "#!/bin/sh\n");
        fs::permissions(root / program, fs::perms(0755));
    }
    return exec::SystemRunner().run(
        {{"systemd-analyze", "verify", "--man=no", "--root=" + root.string(), unit}});
}

// Debian 12's ssh.service, the lines that matter to the drop-in.
const char* debian_ssh_service =
    "[Unit]\nDescription=OpenBSD Secure Shell server\nAfter=network.target\n"
    "[Service]\nEnvironmentFile=-/etc/default/ssh\nExecStartPre=/usr/sbin/sshd -t\n"
    "ExecStart=/usr/sbin/sshd -D $SSHD_OPTS\nExecReload=/usr/sbin/sshd -t\n"
    "ExecReload=/bin/kill -HUP $MAINPID\nKillMode=process\nRestart=on-failure\n"
    "Type=notify\nRuntimeDirectory=sshd\n[Install]\nWantedBy=multi-user.target\n";

} // namespace

TEST_CASE("ssh: the files staged into the image, and the drop-ins systemd reads", "[ssh]") {
    ssh::Templates templates = ssh::read_templates(test::source_dir() / "templates/ssh");
    features::Staging staged =
        ssh::staging(plan_of("  host_key_types: [ed25519, ecdsa]\n"), templates);
    REQUIRE(staged.files.size() == 4);
    CHECK(staged.files[0].path == "/usr/lib/lethe/ssh/sshd_config");
    CHECK(staged.files[1].path == "/usr/lib/systemd/system/ssh.service.d/lethe-posture.conf");
    CHECK(staged.files[2].path ==
          "/usr/lib/systemd/system/lethe-ssh-keygen.service.d/lethe-host-key-types.conf");
    CHECK(staged.files[3].path == "/etc/ssh/sshd_config");
    CHECK(staged.units.empty());
    CHECK_THAT(staged.files[1].content,
               Catch::Contains("ExecStart=\nExecStart=/usr/sbin/sshd -D -f "
                               "/usr/lib/lethe/ssh/sshd_config\n"));
    CHECK_THAT(staged.files[1].content,
               Catch::Contains("ExecStartPre=\nExecStartPre=/usr/sbin/sshd -t -f "
                               "/usr/lib/lethe/ssh/sshd_config\n"));
    CHECK_THAT(
        staged.files[2].content,
        Catch::Contains("for type in ed25519 ecdsa; do key=/etc/ssh/ssh_host_$${type}_key;"));
    // The unit's own conditions (all of Debian's types) are reset, else a
    // missing RSA key would run it at every boot.
    CHECK_THAT(staged.files[2].content,
               Catch::Contains("[Unit]\nConditionPathExists=\n"
                               "ConditionPathExists=|!/etc/ssh/ssh_host_ed25519_key\n"
                               "ConditionPathExists=|!/etc/ssh/ssh_host_ecdsa_key\n\n[Service]"));
    CHECK_THAT(staged.files[3].content,
               Catch::EndsWith("\nInclude /usr/lib/lethe/ssh/sshd_config\n"));

    test::TempDir ssh_root, keygen_root;
    std::string ssh_verified =
        verify_in_root(ssh_root.path, staged, "ssh.service", debian_ssh_service);
    std::string keygen_unit =
        read_file(test::source_dir() / "templates/systemd/lethe-ssh-keygen.service");
    std::string keygen_verified =
        verify_in_root(keygen_root.path, staged, "lethe-ssh-keygen.service", keygen_unit);
    if (!exec::tool_exists("systemd-analyze"))
        WARN("systemd-analyze is not installed: the drop-ins are not verified");
    CHECK(ssh_verified.empty()); // verify prints nothing when all is well
    CHECK(keygen_verified.empty());
}

TEST_CASE("ssh: the first boot makes only the listed host key types, once", "[ssh]") {
    if (!exec::tool_exists("ssh-keygen")) {
        WARN("ssh-keygen is not installed: the key generation is not run");
        return;
    }
    test::TempDir tmp;
    ssh::Templates templates = ssh::read_templates(test::source_dir() / "templates/ssh");
    std::string dropin = stage::render_template(templates.keygen_dropin,
                                                {{"SSHD_CONFIG", ""},
                                                 {"KEY_CONDITIONS", ""},
                                                 {"HOST_KEY_TYPES", "ed25519 ecdsa"},
                                                 {"HOST_KEY_DIRECTORY", tmp.path.string()}},
                                                "keygen");
    // The script systemd runs: between the quotes of ExecStart=/bin/sh -c '...', with $$ as $.
    size_t start = dropin.find("-c '") + 4, end = dropin.rfind('\'');
    std::string script = dropin.substr(start, end - start);
    for (size_t at; (at = script.find("$$")) != std::string::npos;)
        script.replace(at, 2, "$");
    exec::SystemRunner runner;
    runner.run({{"sh", "-c", script}});
    CHECK(fs::exists(tmp.path / "ssh_host_ed25519_key"));
    CHECK(fs::exists(tmp.path / "ssh_host_ecdsa_key.pub"));
    CHECK_FALSE(fs::exists(tmp.path / "ssh_host_rsa_key"));
    std::string key = read_file(tmp.path / "ssh_host_ed25519_key");
    runner.run({{"sh", "-c", script}}); // a later boot keeps the keys
    CHECK(read_file(tmp.path / "ssh_host_ed25519_key") == key);
}

TEST_CASE("ssh: the rootfs must have sshd, its unit and ssh-keygen", "[ssh]") {
    test::TempDir tree;
    CHECK(ssh::check_rootfs(tree.path) == "the recipe has 'ssh:' but the rootfs has no executable "
                                          "/usr/sbin/sshd: add the Debian package "
                                          "openssh-server to the rootfs, or remove 'ssh:'");
    test::write(tree.path / "usr/sbin/sshd", "#!/bin/sh\n");
    fs::permissions(tree.path / "usr/sbin/sshd", fs::perms(0755));
    CHECK_THAT(ssh::check_rootfs(tree.path),
               Catch::Contains("no /usr/lib/systemd/system/ssh.service or "
                               "/lib/systemd/system/ssh.service: add the Debian "
                               "package openssh-server"));
    test::write(tree.path / "usr/lib/systemd/system/ssh.service", debian_ssh_service);
    fs::create_symlink("usr/lib", tree.path / "lib");
    CHECK_THAT(ssh::check_rootfs(tree.path),
               Catch::Contains("/usr/bin/ssh-keygen: add the Debian package openssh-client"));
    test::write(tree.path / "usr/bin/ssh-keygen", "#!/bin/sh\n");
    fs::permissions(tree.path / "usr/bin/ssh-keygen", fs::perms(0755));
    CHECK(ssh::check_rootfs(tree.path).empty());
}
