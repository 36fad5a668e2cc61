#include "plan/json_text.hpp"
#include "plan/plan.hpp"
#include "plan/plan_json.hpp"
#include "spec/parse.hpp"
#include "util/error.hpp"
#include "util/uuid.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace lethe;

namespace {

// Without boot.firmware the plan adds no ESP, so placement tests see only these two partitions.
spec::Recipe recipe(const std::string& disk_size, const std::string& usr_size, const std::string& persist_size,
                    const std::string& boot = "boot: {firmware: []}\n") {
    std::string text = "name: web\nrootfs: {directory: /}\noutputs: [raw]\n" + boot + "layout:\n"
                       "  disk:\n    size: " + disk_size + "\n    partitions:\n"
                       "      - {name: usr, type: usr, size: " + usr_size + ", filesystem: erofs}\n"
                       "      - {name: persist, type: linux-generic, size: " + persist_size + ", filesystem: ext4}\n"
                       "  root: {tmpfs: {size: 1G}}\n"
                       "  persistence: {partition: persist, mount: /persist, directories: [/var/lib], files: [/etc/machine-id]}\n";
    return spec::parse_recipe(text, "web.yaml");
}

constexpr uint64_t MiB = 1024 * 1024;

} // namespace

TEST_CASE("UUIDs derive from the seed, are RFC 4122 v4 shaped, and differ by purpose", "[plan]") {
    std::string a = derive_uuid("web", "disk");
    CHECK(a == derive_uuid("web", "disk"));
    CHECK(a != derive_uuid("web", "partition:usr"));
    CHECK(a != derive_uuid("db", "disk"));
    REQUIRE(a.size() == 36);
    CHECK(a[14] == '4');
    CHECK((a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b'));
}

TEST_CASE("fixed partitions are placed at 1 MiB boundaries", "[plan]") {
    plan::Plan p = plan::make_plan(recipe("2G", "700M", "300M"));
    plan::place_partitions(p, {});
    REQUIRE(plan::is_placed(p));
    CHECK(*p.partitions[0].offset == 1 * MiB);
    CHECK(*p.partitions[0].size == 700 * MiB);
    CHECK(*p.partitions[1].offset == 701 * MiB);
    CHECK(*p.disk_size == 2048 * MiB);
}

TEST_CASE("auto sizes come from measured content; rest fills the disk", "[plan]") {
    plan::Plan p = plan::make_plan(recipe("2G", "auto", "rest"));
    plan::place_partitions(p, {});
    CHECK_FALSE(plan::is_placed(p));
    CHECK_FALSE(p.partitions[0].size.has_value());
    plan::place_partitions(p, {{"usr", 500 * MiB + 1}});
    REQUIRE(plan::is_placed(p));
    CHECK(*p.partitions[0].size == 501 * MiB);
    CHECK(*p.partitions[1].offset == 502 * MiB);
    // The last MiB holds the backup GPT.
    CHECK(*p.partitions[1].offset + *p.partitions[1].size == 2047 * MiB);
}

TEST_CASE("an auto disk is the sum of its partitions", "[plan]") {
    plan::Plan p = plan::make_plan(recipe("auto", "auto", "100M"));
    plan::place_partitions(p, {{"usr", 10 * MiB}});
    CHECK(*p.disk_size == (1 + 10 + 100 + 1) * MiB);
}

TEST_CASE("partitions that do not fit are refused with the numbers", "[plan]") {
    plan::Plan p = plan::make_plan(recipe("1G", "700M", "400M"));
    try {
        plan::place_partitions(p, {});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        CHECK_THAT(e.what(), Catch::StartsWith("the partitions need 1.1 GiB (1155530752 bytes with the GPT) but the disk is 1 GiB (1073741824 bytes)"));
    }
}

TEST_CASE("the plan knows roles, modules and the persistence manifest", "[plan]") {
    plan::Plan p = plan::make_plan(recipe("2G", "auto", "rest"));
    CHECK(p.partition(plan::Role::usr).name == "usr");
    CHECK(p.partition(plan::Role::persist).name == "persist");
    CHECK(p.initrd.modules == std::vector<std::string>{"erofs", "ext4"});
    REQUIRE(p.persisted.size() == 2);
    CHECK(p.persisted[0].path == "/etc/machine-id");
    CHECK_FALSE(p.persisted[0].directory);
    CHECK(p.persisted[1].path == "/var/lib");
    auto json = plan::to_json(p);
    CHECK(json["partitions"][0]["size"].is_null());
    CHECK(json["persistence"]["entries"][1]["source"] == "/persist/var/lib");
    CHECK(json["root"]["mode"] == "0755");
}

TEST_CASE("firmware boot adds an ESP at the start of the disk, legacy-BIOS-bootable for bios", "[plan]") {
    plan::Plan p = plan::make_plan(recipe("2G", "auto", "rest", ""));
    REQUIRE(p.partitions.size() == 3);
    const auto& esp = p.partitions[0];
    CHECK(esp.name == "esp");
    CHECK(esp.role == plan::Role::esp);
    CHECK(esp.type_guid == "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
    CHECK(esp.filesystem.type == "vfat");
    CHECK(esp.filesystem.label == "ESP");
    CHECK(esp.attributes == plan::legacy_bios_bootable);
    CHECK(p.firmware == std::vector<catalog::Firmware>{catalog::Firmware::bios, catalog::Firmware::uefi});
    // The initrd never mounts the ESP.
    CHECK(std::find(p.initrd.modules.begin(), p.initrd.modules.end(), "vfat") == p.initrd.modules.end());
    plan::place_partitions(p, {{"esp", 40 * MiB}, {"usr", 100 * MiB}});
    REQUIRE(plan::is_placed(p));
    CHECK(*esp.offset == 1 * MiB);
    CHECK(*p.partitions[1].offset == 41 * MiB);
}

TEST_CASE("uefi alone needs no legacy-BIOS-bootable attribute", "[plan]") {
    plan::Plan p = plan::make_plan(recipe("2G", "auto", "rest", "boot: {firmware: [uefi]}\n"));
    REQUIRE(p.partitions.size() == 3);
    CHECK(p.partitions[0].role == plan::Role::esp);
    CHECK(p.partitions[0].attributes == 0);
}

TEST_CASE("a layout that places its own ESP keeps it where it is", "[plan]") {
    std::string text = "name: web\nrootfs: {directory: /}\noutputs: [raw]\nlayout:\n  disk:\n    size: 2G\n    partitions:\n"
                       "      - {name: usr, type: usr, size: auto, filesystem: erofs}\n"
                       "      - {name: boot, type: esp, size: 100M, filesystem: vfat}\n"
                       "      - {name: persist, type: linux-generic, size: rest, filesystem: ext4}\n"
                       "  root: {tmpfs: {size: 1G}}\n  persistence: {partition: persist, mount: /persist, directories: [/var/lib]}\n";
    plan::Plan p = plan::make_plan(spec::parse_recipe(text, "web.yaml"));
    REQUIRE(p.partitions.size() == 3);
    CHECK(p.partitions[1].name == "boot");
    CHECK(p.partitions[1].role == plan::Role::esp);
    CHECK(p.partitions[1].attributes == plan::legacy_bios_bootable);
}

TEST_CASE("an ESP that is not vfat, or a partition named esp of another type, is refused", "[plan]") {
    std::string head = "name: web\nrootfs: {directory: /}\noutputs: [raw]\nlayout:\n  disk:\n    size: 2G\n    partitions:\n"
                       "      - {name: usr, type: usr, size: auto, filesystem: erofs}\n";
    std::string tail = "      - {name: persist, type: linux-generic, size: rest, filesystem: ext4}\n"
                       "  root: {tmpfs: {size: 1G}}\n  persistence: {partition: persist, mount: /persist, directories: [/var/lib]}\n";
    auto error_of = [](const std::string& text) {
        try {
            plan::make_plan(spec::parse_recipe(text, "web.yaml"));
        } catch (const Error& e) {
            CHECK(e.code() == ExitCode::bad_input);
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(error_of(head + "      - {name: boot, type: esp, size: 100M, filesystem: ext4}\n" + tail),
               Catch::Contains("web.yaml:9:9: partition 'boot' is the ESP, which firmware reads only as vfat, not ext4"));
    CHECK_THAT(error_of(head + "      - {name: esp, type: linux-generic, size: 100M, filesystem: ext4}\n" + tail),
               Catch::Contains("partition 'esp' has type linux-generic"));
}

TEST_CASE("boot.firmware takes bios and uefi, once each", "[plan][spec]") {
    auto error_of = [](const std::string& boot) {
        try {
            recipe("2G", "auto", "rest", boot);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(error_of("boot: {firmware: [bios, efi]}\n"), Catch::Contains("web.yaml:4:"));
    CHECK_THAT(error_of("boot: {firmware: [bios, efi]}\n"), Catch::Contains("uefi"));
    CHECK_THAT(error_of("boot: {firmware: [uefi, uefi]}\n"), Catch::Contains("'uefi' is listed twice"));
    CHECK_THAT(error_of("boot: {loader: grub}\n"), Catch::Contains("web.yaml:4:"));
}

TEST_CASE("the persistent partition grows on a larger disk only when it is last and the layout allows it", "[plan]") {
    CHECK(plan::make_plan(recipe("2G", "auto", "rest")).persist_grow);
    CHECK(plan::to_json(plan::make_plan(recipe("2G", "auto", "rest")))["persistence"]["grow"] == true);

    spec::Recipe off = recipe("2G", "auto", "rest");
    off.layout.persistence.grow = false;
    CHECK_FALSE(plan::make_plan(off).persist_grow);

    // A data partition after persist: growing persist would run into it.
    spec::Recipe not_last = recipe("2G", "auto", "1G");
    spec::Partition data = not_last.layout.disk.partitions[1];
    data.name = "data";
    not_last.layout.disk.partitions.push_back(data);
    plan::Plan p = plan::make_plan(not_last);
    CHECK_FALSE(p.persist_grow);
    CHECK(plan::to_json(p)["persistence"]["grow"] == false);
}

namespace {

// A feature that needs a module and a persisted path, as dm-verity or Tailscale do.
class NeedsModule final : public plan::FeaturePlan {
public:
    std::string_view key() const override { return "needs_module"; }
    nlohmann::ordered_json to_json() const override { return {}; }
    std::vector<std::string> initrd_modules() const override { return {"dm_verity", "erofs"}; }
    std::vector<plan::PersistEntry> persisted() const override { return {{"/opt/thing", true, {}, {}, 0700}}; }
    void stage(features::StageContext&) const override {}
};

} // namespace

TEST_CASE("a feature's initrd modules and persisted paths join the plan's, once", "[plan]") {
    auto feature = std::make_shared<NeedsModule>();
    plan::Plan p = plan::make_plan(recipe("2G", "auto", "rest", ""), {feature});
    CHECK(std::count(p.initrd.modules.begin(), p.initrd.modules.end(), "erofs") == 1);
    CHECK(std::find(p.initrd.modules.begin(), p.initrd.modules.end(), "dm_verity") != p.initrd.modules.end());
    CHECK(std::any_of(p.persisted.begin(), p.persisted.end(), [](const auto& e) { return e.path == "/opt/thing"; }));
    REQUIRE(p.features.size() == 1);
    CHECK(p.features[0]->key() == "needs_module");
}

TEST_CASE("JSON text represents every Linux file name: what is not UTF-8 is quoted as Git quotes paths",
          "[plan][json]") {
    CHECK(plan::is_valid_utf8("caf\xc3\xa9 /usr/lib"));
    for (const char* bad : {"caf\xe9", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
        CHECK_FALSE(plan::is_valid_utf8(bad));
    CHECK(plan::json_safe_string("/var/lib/caf\xc3\xa9") == "/var/lib/caf\xc3\xa9");
    CHECK(plan::json_safe_string("/tmp/caf\xe9 \"x\\y\"") == "\"/tmp/caf\\xe9 \\\"x\\\\y\\\"\"");
    CHECK(plan::json_safe_string("\"quoted\"") == "\"\\\"quoted\\\"\""); // a leading quote is quoted too
    nlohmann::ordered_json value = {{"scrubbed", {"/tmp/b\xff", "/etc/ok"}}, {"n", 1}};
    std::string text = plan::json_text(value);
    auto parsed = nlohmann::ordered_json::parse(text); // throws if the text is not valid JSON
    CHECK(parsed["scrubbed"][0] == "\"/tmp/b\\xff\"");
    CHECK(parsed["scrubbed"][1] == "/etc/ok");
    CHECK(text.back() == '\n');
}
