#include "plan/plan.hpp"
#include "plan/plan_json.hpp"
#include "spec/parse.hpp"
#include "util/error.hpp"
#include "util/uuid.hpp"

#include <catch2/catch.hpp>

using namespace lethe;

namespace {

spec::Recipe recipe(const std::string& disk_size, const std::string& usr_size, const std::string& persist_size) {
    std::string text = "name: web\nrootfs: {directory: /}\noutputs: [raw]\nlayout:\n"
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
