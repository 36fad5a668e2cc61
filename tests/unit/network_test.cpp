// DHCP networking (builder/features/network): the `network:` recipe key, its
// plan, and what it stages into a tree.

#include "exec/command_runner.hpp"
#include "features/hetzner/hetzner.hpp"
#include "features/network/network.hpp"
#include "features/registry.hpp"
#include "plan/plan.hpp"
#include "plan/plan_json.hpp"
#include "feature_test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>

using namespace lethe;
namespace fs = std::filesystem;

using namespace lethe::test;


TEST_CASE("network: DHCP is on by default and can be turned off", "[network]") {
    auto plain = plan_of("");
    REQUIRE(feature<features::network::Network>(plain));
    CHECK(feature<features::network::Network>(plain)->dhcp);
    CHECK_FALSE(feature<features::network::Network>(plain)->required);
    CHECK_FALSE(feature<features::hetzner::Hetzner>(plain));
    CHECK(feature<features::network::Network>(plan_of("network: {dhcp: true}\n"))->required);
    auto off = plan_of("network: {dhcp: false}\n");
    CHECK_FALSE(feature<features::network::Network>(off)->dhcp);
    CHECK_FALSE(feature<features::network::Network>(off)->required);

    auto json = plan::to_json(plain);
    CHECK(json["network"]["dhcp"] == true);
    CHECK(json["network"]["files"][0] == "/usr/lib/systemd/network/90-lethe-dhcp.network");
    CHECK_FALSE(json.contains("hetzner"));
    CHECK(plan::to_json(off)["network"] == nlohmann::ordered_json{{"dhcp", false}});
}

TEST_CASE("network: mistakes are located", "[network]") {
    CHECK_THAT(error_of("network: {dhcp: maybe}\n"), Catch::Contains("r.yaml:8:17") && Catch::Contains("true or false"));
    CHECK_THAT(error_of("network: {dchp: true}\n"), Catch::Contains("did you mean 'dhcp'"));
    CHECK_THAT(error_of("netwrok: {dhcp: true}\n"), Catch::Contains("did you mean 'network'"));
}

TEST_CASE("network stage: the DHCP file goes into /usr and networkd is enabled once", "[network]") {
    TempDir tmp;
    add_networkd(tmp.path);
    exec::RecordingRunner runner;
    features::network::Network dhcp;
    CHECK(stage_feature(dhcp, tmp.path, runner).empty());
    std::string text = read_file(tmp.path / "usr/lib/systemd/network/90-lethe-dhcp.network");
    CHECK_THAT(text, Catch::Contains("Type=ether\nName=en* eth*\n") && Catch::Contains("DHCP=yes"));
    CHECK_FALSE(fs::exists(tmp.path / "etc/systemd/network"));
    REQUIRE(runner.commands.size() == 1);
    CHECK(exec::to_string(runner.commands[0]) ==
          "systemctl --root=" + tmp.path.string() + " enable systemd-networkd.service");

    // Already enabled (by the presets): nothing to run.
    fs::create_directories(tmp.path / "etc/systemd/system/multi-user.target.wants");
    fs::create_symlink("/usr/lib/systemd/system/systemd-networkd.service",
                       tmp.path / "etc/systemd/system/multi-user.target.wants/systemd-networkd.service");
    CHECK(features::network::enable_networkd_commands(tmp.path).empty());
}

TEST_CASE("network stage: without networkd, a default is skipped and an explicit dhcp refused", "[network]") {
    TempDir tmp;
    exec::RecordingRunner runner;
    features::network::Network dhcp, off, required;
    off.dhcp = false;
    required.required = true;
    stage_feature(dhcp, tmp.path, runner);
    stage_feature(off, tmp.path, runner);
    CHECK(runner.commands.empty());
    CHECK_FALSE(fs::exists(tmp.path / "usr/lib/systemd/network"));
    try {
        stage_feature(required, tmp.path, runner);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        CHECK_THAT(e.what(), Catch::Contains("no systemd-networkd") && Catch::Contains("package systemd"));
    }
}
