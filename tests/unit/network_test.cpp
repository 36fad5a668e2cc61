// Networking: the `network:` and `hetzner:` recipe keys, the plan, and what
// the network and Hetzner stages put into a staged tree.

#include "exec/command_runner.hpp"
#include "plan/plan.hpp"
#include "plan/plan_json.hpp"
#include "spec/parse.hpp"
#include "stage/hetzner.hpp"
#include "stage/network.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

using test::TempDir;
using test::write;

std::string recipe_text(const std::string& extra, const std::string& directories = "[/var/lib, /root/.ssh]") {
    return "name: t\nrootfs: {directory: /}\noutputs: [raw]\nlayout:\n"
           "  disk: {size: 1G, partitions: [{name: usr, type: usr, size: auto, filesystem: erofs},"
           " {name: persist, type: linux-generic, size: rest, filesystem: ext4}]}\n"
           "  root: {tmpfs: {size: 64M}}\n"
           "  persistence: {partition: persist, mount: /persist, directories: " +
           directories + "}\n" + extra;
}

spec::Recipe recipe(const std::string& extra, const std::string& directories = "[/var/lib, /root/.ssh]") {
    return spec::parse_recipe(recipe_text(extra, directories), "r.yaml");
}

std::string error_of(const std::string& extra, const std::string& directories = "[/var/lib, /root/.ssh]") {
    try {
        recipe(extra, directories);
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        return e.what();
    }
    FAIL("no error for:\n" << extra);
    return "";
}

// A rootfs with (or without) what Debian 12's systemd package ships for networkd.
void add_networkd(const fs::path& rootfs) {
    write(rootfs / "usr/lib/systemd/systemd-networkd", "#!/bin/true\n");
    write(rootfs / "usr/lib/systemd/system/systemd-networkd.service", "[Unit]\n");
    write(rootfs / "usr/bin/networkctl", "#!/bin/true\n");
}

const fs::path templates = lethe::test::source_dir() / "templates";

} // namespace

TEST_CASE("network: DHCP is on by default and can be turned off", "[network]") {
    auto plain = recipe("");
    CHECK(plain.network.dhcp);
    CHECK_FALSE(plain.network.dhcp_explicit);
    CHECK_FALSE(plain.hetzner.metadata);
    CHECK(recipe("network: {dhcp: true}\n").network.dhcp_explicit);
    auto off = recipe("network: {dhcp: false}\n");
    CHECK_FALSE(off.network.dhcp);
    CHECK_FALSE(off.network.dhcp_explicit);

    auto json = plan::to_json(plan::make_plan(plain));
    CHECK(json["network"]["dhcp"] == true);
    CHECK(json["network"]["files"][0] == "/usr/lib/systemd/network/90-lethe-dhcp.network");
    CHECK_FALSE(json.contains("hetzner"));
    CHECK(plan::to_json(plan::make_plan(off))["network"] == nlohmann::ordered_json{{"dhcp", false}});
}

TEST_CASE("network and hetzner: mistakes are located", "[network]") {
    CHECK_THAT(error_of("network: {dhcp: maybe}\n"), Catch::Contains("r.yaml:8:17") && Catch::Contains("true or false"));
    CHECK_THAT(error_of("network: {dchp: true}\n"), Catch::Contains("did you mean 'dhcp'"));
    CHECK_THAT(error_of("hetzner: {metadta: true}\n"), Catch::Contains("did you mean 'metadata'"));
}

TEST_CASE("hetzner.metadata needs /root/.ssh persisted", "[network]") {
    auto on = recipe("hetzner: {metadata: true}\n");
    CHECK(on.hetzner.metadata);
    auto json = plan::to_json(plan::make_plan(on));
    CHECK(json["hetzner"]["unit"] == "lethe-hetzner-metadata.service");
    CHECK(json["hetzner"]["url"] == "http://169.254.169.254/hetzner/v1/metadata");
    CHECK(recipe("hetzner: {metadata: true}\n", "[/root]").hetzner.metadata); // /root covers /root/.ssh
    CHECK_FALSE(recipe("hetzner: {metadata: false}\n", "[/var/lib]").hetzner.metadata);

    std::string message = error_of("hetzner: {metadata: true}\n", "[/var/lib, /root/.sshx]");
    CHECK_THAT(message, Catch::Contains("r.yaml:8:21") && Catch::Contains("add '{path: /root/.ssh") &&
                            Catch::Contains("persistence.directories"));
}

TEST_CASE("network stage: the DHCP file goes into /usr and networkd is enabled once", "[network]") {
    TempDir tmp;
    add_networkd(tmp.path);
    exec::RecordingRunner runner;
    REQUIRE(stage::install_network(tmp.path, {true, false}, templates / "network", 1700000000, runner));
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
    CHECK(stage::enable_networkd_commands(tmp.path).empty());
}

TEST_CASE("network stage: without networkd, a default is skipped and an explicit dhcp refused", "[network]") {
    TempDir tmp;
    exec::RecordingRunner runner;
    CHECK_FALSE(stage::install_network(tmp.path, {true, false}, templates / "network", 0, runner));
    CHECK_FALSE(stage::install_network(tmp.path, {false, false}, templates / "network", 0, runner));
    CHECK(runner.commands.empty());
    CHECK_FALSE(fs::exists(tmp.path / "usr/lib/systemd/network"));
    try {
        stage::install_network(tmp.path, {true, true}, templates / "network", 0, runner);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        CHECK_THAT(e.what(), Catch::Contains("no systemd-networkd") && Catch::Contains("package systemd"));
    }
}

TEST_CASE("hetzner stage: the helper, the unit enabled, /root/.ssh; refused without networkd", "[network]") {
    TempDir tmp;
    fs::path rootfs = tmp.path / "rootfs";
    write(tmp.path / "lethe-metadata", "ELF-ish helper bytes");
    fs::create_directories(rootfs);
    CHECK_THROWS_AS(stage::install_hetzner_metadata(rootfs, {}, templates / "hetzner", tmp.path / "lethe-metadata", 0),
                    Error);
    add_networkd(rootfs);
    CHECK(stage::install_hetzner_metadata(rootfs, {}, templates / "hetzner", tmp.path / "lethe-metadata", 0) ==
          "lethe-hetzner-metadata.service");
    CHECK(read_file(rootfs / "usr/lib/lethe/lethe-metadata") == "ELF-ish helper bytes");
    CHECK((fs::status(rootfs / "usr/lib/lethe/lethe-metadata").permissions() & fs::perms::owner_exec) != fs::perms::none);
    std::string unit = read_file(rootfs / "etc/systemd/system/lethe-hetzner-metadata.service");
    CHECK_THAT(unit, Catch::Contains("ExecStart=/usr/lib/lethe/lethe-metadata hetzner --url "
                                     "http://169.254.169.254/hetzner/v1/metadata --network-file "
                                     "/run/systemd/network/10-lethe-hetzner.network --authorized-keys "
                                     "/root/.ssh/authorized_keys"));
    CHECK(unit.find("@HELPER@") == std::string::npos);
    CHECK(fs::is_symlink(rootfs / "etc/systemd/system/multi-user.target.wants/lethe-hetzner-metadata.service"));
    CHECK(fs::status(rootfs / "root/.ssh").permissions() == fs::perms::owner_all);
}
