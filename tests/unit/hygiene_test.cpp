#include "stage/hygiene.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace lethe;
namespace fs = std::filesystem;
using Action = stage::ScrubRule::Action;

namespace {

using test::TempDir;
using test::write;

std::string parse_error(const std::string& text) {
    try {
        stage::parse_scrub_rules(text, "scrub.rules");
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        return e.what();
    }
    FAIL("no error for: " << text);
    return {};
}

} // namespace

TEST_CASE("parse_scrub_rules reads actions and patterns, skipping comments", "[stage]") {
    auto rules = stage::parse_scrub_rules("# header\n\nremove  etc/ssh/ssh_host_*   # keys\n"
                                          "  empty etc/machine-id\n\tclear var/log\nremove a#b\n",
                                          "scrub.rules");
    REQUIRE(rules.size() == 4);
    CHECK(rules[0].action == Action::remove);
    CHECK(rules[0].pattern == "etc/ssh/ssh_host_*");
    CHECK(rules[0].origin == "scrub.rules:3");
    CHECK(rules[1].action == Action::empty);
    CHECK(rules[1].origin == "scrub.rules:4");
    CHECK(rules[2].action == Action::clear);
    CHECK(rules[2].pattern == "var/log");
    CHECK(rules[3].pattern == "a#b"); // '#' inside a word is not a comment
}

TEST_CASE("parse_scrub_rules names the file and line of a bad rule", "[stage]") {
    CHECK(parse_error("remove a\nremvoe etc/x\n") ==
          "scrub.rules:2: unknown action 'remvoe' (did you mean 'remove'?); expected remove, empty, uninitialize or clear");
    CHECK(parse_error("remove\n") == "scrub.rules:1: expected 'ACTION PATH', e.g. 'remove etc/ssh/ssh_host_*', not 1 words");
    CHECK(parse_error("remove a b\n") ==
          "scrub.rules:1: expected 'ACTION PATH', e.g. 'remove etc/ssh/ssh_host_*', not 3 words");
    CHECK(parse_error("\nclear /var/log\n") == "scrub.rules:2: '/var/log' must be relative to the rootfs (write 'var/log')");
    CHECK(parse_error("remove var/../etc\n") == "scrub.rules:1: 'var/../etc' must not contain '..'");
    CHECK(parse_error("clear ./\n") == "scrub.rules:1: './' names the whole rootfs");
}

TEST_CASE("the shipped scrub rules parse", "[stage]") {
    fs::path path = lethe::test::source_dir() / "templates/scrub.rules";
    auto rules = stage::parse_scrub_rules(read_file(path), "templates/scrub.rules");
    CHECK(rules.size() > 10);
    CHECK(std::any_of(rules.begin(), rules.end(),
                      [](const auto& r) { return r.action == Action::uninitialize && r.pattern == "etc/machine-id"; }));
}

TEST_CASE("scrub_instance_identity removes identity and history, keeping what it must", "[stage]") {
    TempDir tmp;
    fs::path root = tmp.path / "root";
    write(root / "etc/ssh/ssh_host_ed25519_key", "private");
    write(root / "etc/ssh/ssh_host_ed25519_key.pub", "public");
    write(root / "etc/ssh/sshd_config", "config");
    write(root / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    chmod((root / "etc/machine-id").c_str(), 0444);
    fs::create_directories(root / "var/lib/dbus");
    fs::create_symlink("/etc/machine-id", root / "var/lib/dbus/machine-id");
    write(root / "var/log/apt/history.log", "installed");
    write(root / "var/log/.hidden", "h");
    fs::create_directories(root / "var/log/apache2");
    REQUIRE(chown((root / "var/log/apache2").c_str(), 0, 4) == 0);
    chmod((root / "var/log/apache2").c_str(), 0750);
    write(root / "var/cache/debconf/config.dat-old", "old");
    write(root / "var/cache/debconf/config.dat", "new");
    auto rules = stage::parse_scrub_rules("remove etc/ssh/ssh_host_*\nempty etc/machine-id\n"
                                          "remove var/lib/dbus/machine-id\nclear var/log\n"
                                          "remove var/cache/debconf/*-old\nremove var/lib/systemd/random-seed\n",
                                          "rules");
    auto result = stage::scrub_instance_identity(root, rules);
    CHECK(result.removed == std::vector<std::string>{"etc/machine-id", "etc/ssh/ssh_host_ed25519_key",
                                                     "etc/ssh/ssh_host_ed25519_key.pub", "var/cache/debconf/config.dat-old",
                                                     "var/lib/dbus/machine-id", "var/log/.hidden", "var/log/apt/history.log"});
    CHECK(fs::exists(root / "etc/ssh/sshd_config"));
    CHECK_FALSE(fs::exists(root / "etc/ssh/ssh_host_ed25519_key"));
    CHECK(fs::file_size(root / "etc/machine-id") == 0);
    struct stat st {};
    REQUIRE(stat((root / "etc/machine-id").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0444);
    CHECK_FALSE(fs::exists(fs::symlink_status(root / "var/lib/dbus/machine-id")));
    CHECK(fs::is_empty(root / "var/log/apt"));
    REQUIRE(stat((root / "var/log/apache2").c_str(), &st) == 0);
    CHECK(st.st_gid == 4);
    CHECK((st.st_mode & 07777) == 0750);
    CHECK(std::distance(fs::directory_iterator(root / "var/log"), {}) == 2); // apt, apache2
    CHECK(fs::exists(root / "var/cache/debconf/config.dat"));

    // A second pass finds nothing more: an emptied file is not reported again.
    CHECK(stage::scrub_instance_identity(root, rules).removed.empty());
}

TEST_CASE("scrub_instance_identity never follows a symlink out of the rootfs", "[stage]") {
    TempDir tmp;
    fs::path root = tmp.path / "root";
    fs::path outside = tmp.path / "outside";
    write(outside / "log/syslog", "host log");
    write(outside / "ssh/ssh_host_rsa_key", "host key");
    write(outside / "machine-id", "host id");
    write(outside / "cache/pkgcache.bin", "cache");
    fs::create_directories(root / "var/cache");
    fs::create_directories(root / "etc");
    fs::create_symlink(outside / "log", root / "var/log");               // clear through a symlink
    fs::create_symlink("../../outside/ssh", root / "etc/ssh");           // glob below a symlinked parent
    fs::create_symlink(outside / "machine-id", root / "etc/machine-id"); // empty a symlink
    fs::create_symlink(outside / "cache", root / "var/cache/apt");       // parent of a literal path
    auto rules = stage::parse_scrub_rules("clear var/log\nremove etc/ssh/ssh_host_*\nempty etc/machine-id\n"
                                          "remove var/cache/apt/pkgcache.bin\nclear var/cache/apt\n",
                                          "rules");
    auto result = stage::scrub_instance_identity(root, rules);
    CHECK(result.removed.empty());
    CHECK(read_file(outside / "log/syslog") == "host log");
    CHECK(read_file(outside / "ssh/ssh_host_rsa_key") == "host key");
    CHECK(read_file(outside / "machine-id") == "host id");
    CHECK(read_file(outside / "cache/pkgcache.bin") == "cache");

    // Removing a symlink removes the link, not what it points to.
    auto remove_links = stage::parse_scrub_rules("remove var/log\nremove etc/*\n", "rules");
    CHECK(stage::scrub_instance_identity(root, remove_links).removed ==
          std::vector<std::string>{"etc/machine-id", "etc/ssh", "var/log"});
    CHECK(read_file(outside / "log/syslog") == "host log");
    CHECK(read_file(outside / "machine-id") == "host id");

    // Clearing a directory removes a symlink inside it, not what it points to.
    fs::create_directories(root / "var/tmp");
    fs::create_symlink(outside / "log", root / "var/tmp/link");
    CHECK(stage::scrub_instance_identity(root, stage::parse_scrub_rules("clear var/tmp\n", "rules")).removed ==
          std::vector<std::string>{"var/tmp/link"});
    CHECK(read_file(outside / "log/syslog") == "host log");
}

TEST_CASE("scrub_instance_identity fails on a missing rootfs", "[stage]") {
    TempDir tmp;
    CHECK_THROWS_WITH(stage::scrub_instance_identity(tmp.path / "nope", {}), Catch::Contains("nope"));
}

TEST_CASE("uninitialize leaves machine-id(5)'s first-boot marker, once", "[stage]") {
    TempDir tmp;
    fs::path root = tmp.path / "root";
    write(root / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    auto rules = stage::parse_scrub_rules("uninitialize etc/machine-id\n", "rules");
    CHECK(stage::scrub_instance_identity(root, rules).removed == std::vector<std::string>{"etc/machine-id"});
    CHECK(read_file(root / "etc/machine-id") == "uninitialized\n");
    CHECK(stage::scrub_instance_identity(root, rules).removed.empty());
}
