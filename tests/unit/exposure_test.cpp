// Service exposure (builder/stage/exposure): the services an image enables,
// the systemd-analyze command line, and its output as systemd 252 prints it
// (captured from a Debian 12 rootfs in tests/unit/captures/).

#include "features/firewall/staging.hpp"
#include "stage/exposure.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <catch2/catch.hpp>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

std::string capture(const char* name) {
    return read_file(test::source_dir() / "tests/unit/captures" / name);
}

std::vector<std::string> summary(const std::vector<stage::Exposure>& exposures) {
    std::vector<std::string> out;
    for (const auto& e : exposures)
        out.push_back(fmt::format("{} {:.1f} {}", e.unit, e.score, e.rating));
    return out;
}

} // namespace

TEST_CASE("exposure: the overall scores of systemd-analyze security", "[exposure]") {
    CHECK(summary(stage::parse_exposure(capture("systemd-analyze-security-c.txt"))) ==
          std::vector<std::string>{"ssh.service 9.6 UNSAFE", "systemd-networkd.service 2.8 OK",
                                   "getty@tty1.service 9.6 UNSAFE"});
    CHECK(summary(stage::parse_exposure(capture("systemd-analyze-security-utf8.txt"))) ==
          std::vector<std::string>{"ssh.service 9.6 UNSAFE", "systemd-networkd.service 2.8 OK"});
    CHECK(stage::parse_exposure("Unit cron.service not found.\n").empty());
    CHECK(stage::parse_exposure("-> Overall exposure level for a.service: 10.0 UNSAFE :-{\n")[0]
              .score == 10.0);
}

TEST_CASE("exposure: the command, and units it cannot rate", "[exposure]") {
    exec::RecordingRunner runner;
    runner.canned_output = capture("systemd-analyze-security-c.txt");
    auto exposures =
        stage::measure_exposure(runner, "/work/tree", {"ssh.service", "systemd-networkd.service"});
    REQUIRE(runner.commands.size() == 1);
    CHECK(exec::to_string(runner.commands[0]) ==
          "systemd-analyze security --offline=yes --root=/work/tree "
          "--no-pager ssh.service systemd-networkd.service");
    CHECK(runner.commands[0].env.at("LC_ALL") == "C");
    CHECK(exposures.size() == 3);
    // Not rated in the list, nor alone: left out, after one try each.
    CHECK(stage::measure_exposure(runner, "/work/tree", {"cron.service"}).empty());
    CHECK(runner.commands.size() == 3);
    CHECK(stage::measure_exposure(runner, "/work/tree", {}).empty());
    CHECK(runner.commands.size() == 3); // nothing run for no units

    CHECK(summary(stage::most_exposed(exposures, 2)) ==
          std::vector<std::string>{"getty@tty1.service 9.6 UNSAFE", "ssh.service 9.6 UNSAFE"});
    CHECK(stage::most_exposed(exposures, 10).back().unit == "systemd-networkd.service");
}

namespace {

// systemd-analyze as it fails on a list with a unit it cannot load: the
// whole command fails; alone, each other unit is rated.
class OneBrokenUnit final : public exec::CommandRunner {
public:
    std::string run(const exec::Command& command) override {
        ++runs;
        const auto& argv = command.argv;
        if (std::find(argv.begin(), argv.end(), "broken.service") != argv.end())
            fail("'systemd-analyze security ...' exited with status 1:\nUnit broken.service is masked.");
        std::string out;
        for (const auto& arg : argv)
            if (arg.size() > 8 && arg.compare(arg.size() - 8, 8, ".service") == 0)
                out += "-> Overall exposure level for " + arg + ": 9.6 UNSAFE :-{\n";
        return out;
    }
    int runs = 0;
};

} // namespace

TEST_CASE("exposure: one unit systemd-analyze cannot load costs only its own score", "[exposure]") {
    OneBrokenUnit runner;
    auto exposures = stage::measure_exposure(runner, "/work/tree", {"a.service", "broken.service", "b.service"});
    CHECK(summary(exposures) == std::vector<std::string>{"a.service 9.6 UNSAFE", "b.service 9.6 UNSAFE"});
    CHECK(runner.runs == 4); // the list, then each unit
}

TEST_CASE("exposure: the enabled services of a tree, links read and never followed", "[exposure]") {
    test::TempDir tree;
    fs::path etc = tree.path / "etc/systemd/system", usr = tree.path / "usr/lib/systemd/system";
    fs::create_directories(etc / "multi-user.target.wants");
    fs::create_directories(etc / "sysinit.target.wants");
    fs::create_directories(usr / "multi-user.target.wants");
    fs::create_symlink("/usr/lib/systemd/system/ssh.service",
                       etc / "multi-user.target.wants/ssh.service");
    fs::create_symlink("/lib/systemd/system/lethe-firewall.service",
                       etc / "sysinit.target.wants/lethe-firewall.service");
    fs::create_symlink("/etc/systemd/system/remote-fs.target",
                       etc / "multi-user.target.wants/remote-fs.target");
    fs::create_symlink("../dbus.service", usr / "multi-user.target.wants/dbus.service");
    fs::create_symlink("/usr/lib/systemd/system/ssh.service",
                       usr / "multi-user.target.wants/ssh.service");
    for (const char* unit : {"ssh.service", "dbus.service", "lethe-firewall.service", "getty@.service"})
        test::write(usr / unit, "[Service]\n");
    fs::create_directories(etc / "getty.target.wants");
    fs::create_symlink("/usr/lib/systemd/system/getty@.service", etc / "getty.target.wants/getty@tty1.service");
    // A masked unit (its /etc file a link to /dev/null, or an empty file) starts nothing.
    test::write(usr / "empty.service", "");
    fs::create_symlink("/usr/lib/systemd/system/empty.service", etc / "multi-user.target.wants/empty.service");
    test::write(usr / "e2scrub_reap.service", "[Service]\n");
    fs::create_symlink("/dev/null", etc / "e2scrub_reap.service");
    fs::create_symlink("/usr/lib/systemd/system/e2scrub_reap.service", etc / "multi-user.target.wants/e2scrub_reap.service");
    // A link to a unit the image does not have enables nothing.
    fs::create_symlink("/usr/lib/systemd/system/gone.service", etc / "multi-user.target.wants/gone.service");
    // A .wants that is a link (to the build machine's, in a hostile rootfs) is not read.
    fs::create_symlink("/etc/systemd/system/multi-user.target.wants", etc / "default.target.wants");
    CHECK(stage::enabled_services(tree.path) ==
          std::vector<std::string>{"dbus.service", "getty@tty1.service", "lethe-firewall.service", "ssh.service"});
    fs::remove_all(tree.path / "etc");
    fs::create_symlink("/etc", tree.path / "etc");
    CHECK(stage::enabled_services(tree.path) ==
          std::vector<std::string>{"dbus.service", "ssh.service"});
}

TEST_CASE("exposure: lethe-firewall.service as systemd rates it", "[exposure][firewall]") {
    if (!exec::tool_exists("systemd-analyze")) {
        WARN("systemd-analyze is not installed: not measured");
        return;
    }
    test::TempDir tree;
    firewall::FirewallPlan plan;
    auto staged = firewall::staging(
        plan, read_file(test::source_dir() / "templates/firewall/lethe-firewall.service"));
    test::write(tree.path / "usr/lib/systemd/system/lethe-firewall.service", staged.units[0].text);
    exec::SystemRunner runner;
    auto exposures = stage::measure_exposure(runner, tree.path, {"lethe-firewall.service"});
    REQUIRE(exposures.size() == 1);
    CHECK(exposures[0].score <= 2.0);
    CHECK(exposures[0].rating == "OK");
}
