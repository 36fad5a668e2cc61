// Hetzner Cloud metadata (builder/features/hetzner): the `hetzner:` recipe
// key, its plan, and what it stages into a tree.

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


TEST_CASE("hetzner: mistakes are located", "[hetzner]") {
    CHECK_THAT(error_of("hetzner: {metadta: true}\n"), Catch::Contains("did you mean 'metadata'"));
    CHECK_THAT(error_of("hetzner: {metadata: yes please}\n"), Catch::Contains("r.yaml:8:21"));
}

TEST_CASE("hetzner.metadata needs /root/.ssh persisted", "[hetzner]") {
    auto on = plan_of("hetzner: {metadata: true}\n");
    CHECK(feature<features::hetzner::Hetzner>(on));
    auto json = plan::to_json(on);
    CHECK(json["hetzner"]["unit"] == "lethe-hetzner-metadata.service");
    CHECK(json["hetzner"]["url"] == "http://169.254.169.254/hetzner/v1/metadata");
    CHECK(feature<features::hetzner::Hetzner>(plan_of("hetzner: {metadata: true}\n", "[/root]"))); // /root covers /root/.ssh
    CHECK_FALSE(feature<features::hetzner::Hetzner>(plan_of("hetzner: {metadata: false}\n", "[/var/lib]")));

    std::string message = error_of("hetzner: {metadata: true}\n", "[/var/lib, /root/.sshx]");
    CHECK_THAT(message, Catch::Contains("r.yaml:8:21") && Catch::Contains("add '{path: /root/.ssh") &&
                            Catch::Contains("persistence.directories"));
}

TEST_CASE("hetzner stage: the helper, the unit enabled, /root/.ssh; refused without networkd", "[hetzner]") {
    TempDir tmp;
    fs::path rootfs = tmp.path / "rootfs";
    write(tmp.path / "lethe-metadata", "ELF-ish helper bytes");
    fs::create_directories(rootfs);
    features::hetzner::Hetzner hetzner;
    CHECK_THROWS_AS(features::hetzner::install_hetzner_metadata(rootfs, hetzner, templates / "hetzner",
                                                                tmp.path / "lethe-metadata", 0),
                    Error);
    add_networkd(rootfs);
    CHECK(features::hetzner::install_hetzner_metadata(rootfs, hetzner, templates / "hetzner",
                                                      tmp.path / "lethe-metadata", 0) ==
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
