// dm-verity wired through a build: the layout's `verity: true` and
// `verity.on_corruption`, the usr-verity partition the plan adds, its JSON,
// init.conf's usr_verity on both sides, the boot loaders' usrhash=, the
// root hash setting the partitions' UUIDs, what lethe-init looks for, and
// `lethe boot --direct`'s command line.

#include "bootloader/esp.hpp"
#include "initramfs/init_config.hpp"
#include "initrd/failure.hpp"
#include "initrd/init_config.hpp"
#include "initrd/usr_verity.hpp"
#include "initrd/verity.hpp"
#include "plan/plan.hpp"
#include "plan/plan_json.hpp"
#include "spec/parse.hpp"
#include "util/error.hpp"
#include "verity/hash_partition.hpp"
#include "vm/qemu_command.hpp"

#include "test_checks.hpp"
#include "test_support.hpp"
#include "verity_support.hpp"

#include <catch2/catch.hpp>

using namespace lethe;
using Catch::Contains;
using test::input_error;

namespace {

const std::string root_hash = "0123456789abcdef0123456789abcdef00112233445566778899aabbccddeeff";

std::string recipe_text(const std::string& usr_extra, const std::string& layout_extra = "",
                        const std::string& more_partitions = "") {
    return "name: web\nrootfs: {directory: /}\noutputs: [raw]\nkernel: {cmdline: console=ttyS0 quiet}\n"
           "layout:\n  disk:\n    size: auto\n    partitions:\n"
           "      - {name: usr, type: usr, size: auto, filesystem: erofs" + usr_extra + "}\n" + more_partitions +
           "      - {name: persist, type: linux-generic, size: 64M, filesystem: ext4}\n"
           "  root: {tmpfs: {size: 1G}}\n"
           "  persistence: {partition: persist, mount: /persist, directories: [/var/lib]}\n" + layout_extra;
}

plan::Plan plan_of(const std::string& text) { return plan::make_plan(spec::parse_recipe(text, "web.yaml")); }

} // namespace

TEST_CASE("verity: true adds usr-verity right after usr, with dm modules in the initrd", "[verity][plan]") {
    plan::Plan p = plan_of(recipe_text(", verity: true"));
    REQUIRE(p.verity);
    CHECK(p.verity->data_partition == "usr");
    CHECK(p.verity->hash_partition == "usr-verity");
    CHECK(p.verity->on_corruption == init::OnCorruption::eio);
    std::vector<std::string> names;
    for (const auto& part : p.partitions) names.push_back(part.name);
    CHECK(names == std::vector<std::string>{"esp", "usr", "usr-verity", "persist"});
    const auto& hash = p.partitions[2];
    CHECK(hash.role == plan::Role::usr_verity);
    CHECK(hash.type_guid == "77ff5f63-e7b6-4633-acf4-1565b864c0e6"); // x86-64's usr-verity in the DPS
    CHECK(hash.size_rule.rule == spec::SizeRule::automatic);
    CHECK(p.partition(plan::Role::usr).uuid.empty()); // until the root hash is known
    CHECK(hash.uuid.empty());
    CHECK(p.initrd.modules == std::vector<std::string>{"erofs", "ext4", "dm_mod", "dm_verity"});

    auto json = plan::to_json(p);
    CHECK(json["partitions"][1]["uuid"].is_null());
    CHECK(json["partitions"][1]["verity"]["hash_partition"] == "usr-verity");
    CHECK(json["partitions"][1]["verity"]["algorithm"] == "sha256");
    CHECK(json["partitions"][1]["verity"]["data_block_size"] == 4096);
    CHECK(json["partitions"][1]["verity"]["hash_block_size"] == 4096);
    CHECK(json["partitions"][1]["verity"]["on_corruption"] == "eio");
    CHECK(json["partitions"][2]["role"] == "usr-verity");
    CHECK(json["partitions"][2]["verity"]["data_partition"] == "usr");
    CHECK(json["kernel"]["usrhash"].is_null());

    plan::Plan plain = plan_of(recipe_text(""));
    CHECK_FALSE(plain.verity);
    CHECK(plain.partitions.size() == 3);
    CHECK_FALSE(plan::to_json(plain)["partitions"][1].contains("verity"));
    CHECK(plan::kernel_command_line(plain) == "console=ttyS0 quiet");
}

TEST_CASE("verity.on_corruption takes eio, restart or panic", "[verity][spec]") {
    CHECK(plan_of(recipe_text(", verity: true", "  verity: {on_corruption: restart}\n")).verity->on_corruption ==
          init::OnCorruption::restart);
    CHECK(plan_of(recipe_text(", verity: true", "  verity: {on_corruption: panic}\n")).verity->on_corruption ==
          init::OnCorruption::panic);
    CHECK_THAT(input_error([] { plan_of(recipe_text(", verity: true", "  verity: {on_corruption: ignore}\n")); }),
               Contains("web.yaml:13:27: unknown value 'ignore': expected 'eio', 'restart' or 'panic'"));
    CHECK_THAT(input_error([] { plan_of(recipe_text("", "  verity: {on_corruption: eio}\n")); }),
               Contains("web.yaml:13:11: 'verity' applies to a partition with 'verity: true', and none has it"));
    CHECK_THAT(input_error([] { plan_of(recipe_text(", verity: yes please")); }),
               Contains("web.yaml:9:71: expected true or false"));
}

TEST_CASE("verity is refused where it cannot work, at the line that asks for it", "[verity][plan]") {
    std::string on_persist = test::replace(recipe_text(""), "filesystem: ext4}", "filesystem: ext4, verity: true}");
    CHECK_THAT(input_error([&] { plan_of(on_persist); }),
               Contains("web.yaml:10:83:") && Contains("'verity: true' protects the usr partition; 'persist' has type "
                                                   "linux-generic"));
    std::string named = recipe_text(", verity: true", "",
                                    "      - {name: usr-verity, type: linux-generic, size: 8M, filesystem: none}\n");
    CHECK_THAT(input_error([&] { plan_of(named); }), Contains("web.yaml:10:9:") && Contains("give this one another name"));
    std::string own = recipe_text(", verity: true", "",
                                  "      - {name: hashes, type: usr-verity, size: 8M, filesystem: none}\n");
    CHECK_THAT(input_error([&] { plan_of(own); }), Contains("web.yaml:10:9:") && Contains("leave 'hashes' out"));
    std::string cmdline = test::replace(recipe_text(""), "console=ttyS0 quiet", "console=ttyS0 usrhash=abc");
    CHECK_THAT(input_error([&] { plan_of(cmdline); }), Contains("web.yaml:4:") && Contains("usrhash="));
    std::string longest = test::replace(recipe_text(", verity: true"), "console=ttyS0 quiet", std::string(1950, 'q'));
    CHECK_THAT(input_error([&] { plan_of(longest); }), Contains("with the usrhash= that 'verity: true' adds"));
}

TEST_CASE("the root hash sets both UUIDs and goes on both boot loaders' command lines", "[verity][esp]") {
    plan::Plan p = plan_of(recipe_text(", verity: true"));
    CHECK_THROWS_WITH(plan::kernel_command_line(p), Contains("before the root hash of 'usr' is known"));
    CHECK_THROWS(bootloader::syslinux_config(p));

    test::TempDir dir;
    test::write_data_file(dir.path / "usr.img", 3);
    exec::RecordingRunner runner;
    runner.canned_output = "Root hash:      \t" + root_hash + "\n";
    CHECK(verity::make_hash_image(p, dir.path / "usr.img", dir.path / "usr-verity.img", runner) == root_hash);
    REQUIRE(runner.commands.size() == 1);
    CHECK(runner.commands[0].argv[2] == (dir.path / "usr.img").string());
    CHECK(p.verity->root_hash == root_hash);
    CHECK(p.partition(plan::Role::usr).uuid == "01234567-89ab-cdef-0123-456789abcdef");
    CHECK(p.partition(plan::Role::usr_verity).uuid == "00112233-4455-6677-8899-aabbccddeeff");
    CHECK(plan::kernel_command_line(p) == "console=ttyS0 quiet usrhash=" + root_hash);
    CHECK_THAT(bootloader::syslinux_config(p), Contains("  APPEND console=ttyS0 quiet usrhash=" + root_hash + "\n"));
    CHECK_THAT(bootloader::loader_entry(p), Contains("options console=ttyS0 quiet usrhash=" + root_hash + "\n"));
    CHECK(plan::to_json(p)["partitions"][1]["verity"]["root_hash"] == root_hash);
    CHECK(plan::to_json(p)["kernel"]["usrhash"] == root_hash);
    CHECK(verity::required_tools(p) == std::vector<exec::Tool>{{"veritysetup", "cryptsetup-bin"}});
    CHECK(verity::required_tools(plan_of(recipe_text(""))).empty());
}

TEST_CASE("init.conf: usr_verity replaces usr, on both sides", "[verity][init]") {
    plan::Plan p = plan_of(recipe_text(", verity: true", "  verity: {on_corruption: restart}\n"));
    init::InitConfig config = initramfs::make_init_config(p, {}, {}, false);
    CHECK(config.usr_verity == init::OnCorruption::restart);
    CHECK(config.usr.tag.empty());
    CHECK(config.usr.fstype == "erofs");
    std::string text = init::render_init_config(config);
    CHECK_THAT(text, Contains("\nusr_verity erofs restart\n"));
    CHECK_THAT(text, !Contains("\nusr "));
    CHECK(init::parse_init_config(text) == config);

    init::InitConfig plain = initramfs::make_init_config(plan_of(recipe_text("")), {}, {}, false);
    CHECK_FALSE(plain.usr_verity);
    CHECK_THAT(init::render_init_config(plain), Contains("\nusr PARTUUID="));

    const std::string rest = "root_tmpfs size=1\npersist PARTUUID=b ext4 /persist\n";
    CHECK(init::parse_init_config(rest + "usr_verity ext4 panic\n").usr_verity == init::OnCorruption::panic);
    CHECK_THROWS_WITH(init::parse_init_config(rest + "usr_verity erofs ignore\n"),
                      Contains("init.conf:3: unknown verity on-corruption mode 'ignore'"));
    CHECK_THROWS_WITH(init::parse_init_config(rest + "usr_verity erofs\n"), Contains("takes 2 field(s), not 1"));
    CHECK_THROWS_WITH(init::parse_init_config(rest + "usr PARTUUID=a erofs\nusr_verity erofs eio\n"),
                      Contains("'usr' and 'usr_verity' exclude each other"));
    CHECK_THROWS_WITH(init::parse_init_config(rest), Contains("missing 'usr' (or 'usr_verity')"));
}

TEST_CASE("lethe-init looks for the partitions usrhash= names, and says so when it is missing", "[verity][init]") {
    init::UsrVerity v = init::usr_verity_from_cmdline("console=ttyS0 usrhash=" + root_hash + " quiet\n");
    CHECK(v.root_hash == root_hash);
    CHECK(v.data.tag == "PARTUUID=01234567-89ab-cdef-0123-456789abcdef");
    CHECK(v.hash.tag == "PARTUUID=00112233-4455-6677-8899-aabbccddeeff");
    CHECK_THAT(v.data.what, Contains("/usr") && Contains(root_hash));
    CHECK_THAT(v.hash.what, Contains("hash tree of /usr") && Contains(root_hash));
    CHECK_THROWS_WITH(init::usr_verity_from_cmdline("console=ttyS0\n"), Contains("no usrhash= on the kernel command line"));
    CHECK_THROWS_AS(init::usr_verity_from_cmdline("usrhash=xyz"), init::Failure);
    std::string message = init::usr_mismatch_message(v, "/dev/vda2", "/dev/vda3", "Input/output error");
    CHECK_THAT(message, Contains("/usr does not match its root hash") && Contains("/dev/vda2 (" + v.data.tag + ")") &&
                            Contains("/dev/vda3 (" + v.hash.tag + ")") && Contains("usrhash=" + root_hash) &&
                            Contains("Input/output error"));
}

TEST_CASE("lethe boot --direct adds the manifest's usrhash= unless the command line has one", "[verity][boot]") {
    CHECK(vm::with_usrhash("console=ttyS0", root_hash) == "console=ttyS0 usrhash=" + root_hash);
    CHECK(vm::with_usrhash("", root_hash) == "usrhash=" + root_hash);
    std::string other = "console=ttyS0 usrhash=" + std::string(64, 'a');
    CHECK(vm::with_usrhash(other, root_hash) == other);
    CHECK(vm::with_usrhash("usrhash=bad", root_hash) == "usrhash=bad");
    vm::BootOptions options;
    options.image = "out/web.qcow2";
    options.direct_kernel = true;
    CHECK(vm::resolve_paths(options).manifest == "out/web.manifest.json");
}
