// `lethe verify` (builder/verity/verify.cpp) on small disk images made here:
// a vfat ESP with both boot loaders' configurations, a usr partition and its
// usr-verity partition from `veritysetup format`, UUIDs from the root hash.

#include "catalog/partition_types.hpp"
#include "catalog/target.hpp"
#include "exec/command_runner.hpp"
#include "initrd/verity.hpp"
#include "part/partition_table.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "verity/root_hash_sources.hpp"
#include "verity/verify.hpp"
#include "verity_support.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <fcntl.h>
#include <filesystem>
#include <sstream>

using namespace lethe;
namespace stdfs = std::filesystem;
using Catch::Matchers::Contains;
using test::TempDir;

namespace {

constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t usr_offset = 9 * MiB; // after 1 MiB of GPT and the 8 MiB ESP

void run(std::vector<std::string> argv) {
    exec::Command command{std::move(argv)};
    command.env = {{"MTOOLS_SKIP_CHECK", "1"}};
    exec::SystemRunner().run(command);
}

// An 8 MiB vfat ESP whose boot loaders boot with usrhash=ROOT_HASH.
stdfs::path make_esp(const stdfs::path& dir, const std::string& root_hash) {
    REQUIRE(exec::tool_exists("mkfs.vfat"));
    REQUIRE(exec::tool_exists("mcopy"));
    stdfs::path esp = dir / "esp.img";
    test::write(esp, "");
    REQUIRE(truncate(esp.c_str(), 8 * MiB) == 0);
    run({"mkfs.vfat", "-n", "ESP", esp.string()});
    run({"mmd", "-i", esp.string(), "::/syslinux", "::/loader", "::/loader/entries"});
    test::write(
        dir / "syslinux.cfg",
        "DEFAULT t\nLABEL t\n  LINUX /vmlinuz\n  APPEND console=ttyS0 usrhash=" + root_hash + "\n");
    test::write(dir / "lethe.conf",
                "title t\nlinux /vmlinuz\noptions console=ttyS0 usrhash=" + root_hash + "\n");
    run({"mcopy", "-i", esp.string(), (dir / "syslinux.cfg").string(), "::/syslinux/syslinux.cfg"});
    run({"mcopy", "-i", esp.string(), (dir / "lethe.conf").string(),
         "::/loader/entries/lethe.conf"});
    return esp;
}

struct TestImage {
    stdfs::path disk;
    std::string root_hash;
};

// ESP, usr (1000 blocks of data in 4 MiB) and usr-verity (1 MiB), like a lethe image with verity.
TestImage make_image(const stdfs::path& dir, bool uuids_from_hash = true) {
    stdfs::path data = dir / "usr.img", hash = dir / "usr-verity.img";
    test::write_data_file(data, 1000);
    std::string root = test::veritysetup_format(data, hash);
    init::VerityPartitionUuids uuids = init::verity_partition_uuids(root);
    part::TableSpec spec;
    spec.disk_uuid = "5a1e0c7e-1b2d-4c3f-8a4b-5c6d7e8f9012";
    spec.disk_size = 15 * MiB;
    spec.partitions = {
        {"esp", *catalog::generic_type_guid("esp"), "0a1b2c3d-0000-4000-8000-000000000001", 1 * MiB,
         8 * MiB, 0},
        {"usr", *catalog::type_guid(catalog::native_target(), "usr"),
         uuids_from_hash ? uuids.data : "0a1b2c3d-0000-4000-8000-000000000002", usr_offset, 4 * MiB,
         0},
        {"usr-verity", *catalog::type_guid(catalog::native_target(), "usr-verity"), uuids.hash,
         13 * MiB, 1 * MiB, 0},
    };
    stdfs::path disk = dir / "disk.raw";
    test::write(disk, "");
    REQUIRE(truncate(disk.c_str(), static_cast<off_t>(spec.disk_size)) == 0);
    part::write_partition_table(disk.string(), spec);
    Fd fd(::open(disk.c_str(), O_WRONLY | O_CLOEXEC));
    copy_sparse_into(make_esp(dir, root), fd.get(), 1 * MiB);
    copy_sparse_into(data, fd.get(), usr_offset);
    copy_sparse_into(hash, fd.get(), 13 * MiB);
    return {disk, root};
}

struct Outcome {
    bool ok = false;
    std::string report;
};

Outcome verify(const verity::VerifyOptions& options) {
    exec::SystemRunner runner;
    std::ostringstream out;
    bool ok = verity::verify_image(options, runner, out);
    return {ok, out.str()};
}

// The exit status a failing verify carries; none when it passes.
std::optional<ExitCode> exit_code_of(const verity::VerifyOptions& options) {
    try {
        verify(options);
    } catch (const Error& error) {
        return error.code();
    }
    return std::nullopt;
}

} // namespace

TEST_CASE("verify reads usrhash= from both boot loaders' configurations", "[verity]") {
    const std::string hash = "b6abdae4238f8239d455461f42eae38ab03a4def84a7b5d79b848e0a6ce81881";
    CHECK(verity::syslinux_usrhash("LABEL a\n  append quiet usrhash=" + hash + "\n") == hash);
    CHECK(verity::loader_entry_usrhash("options quiet\noptions usrhash=" + hash + "\n") == hash);
    CHECK_FALSE(verity::loader_entry_usrhash("title x\n# options usrhash=" + hash + "\n"));
    CHECK_THROWS_WITH(verity::syslinux_usrhash("APPEND usrhash=xyz"),
                      Contains("/syslinux/syslinux.cfg: usrhash= must be 64 lowercase hex digits"));
    CHECK(verity::read_esp_file_command("d.raw", 1048576, "/x").argv ==
          std::vector<std::string>{"mtype", "-i", "d.raw@@1048576", "::/x"});
}

TEST_CASE("verify passes an intact raw or qcow2 image and checks the manifest", "[verity]") {
    TempDir dir;
    TestImage image = make_image(dir.path);
    Outcome raw = verify({image.disk, std::nullopt, {}});
    CHECK(raw.ok);
    CHECK_THAT(
        raw.report,
        Contains("root hash " + image.root_hash +
                 " (/syslinux/syslinux.cfg on the ESP, /loader/entries/lethe.conf on the ESP)"));
    CHECK_THAT(raw.report, Contains("OK: usr matches root hash " + image.root_hash));

    REQUIRE(exec::tool_exists("qemu-img"));
    stdfs::path qcow2 = dir.path / "disk.qcow2", temp = dir.path / "tmp";
    exec::SystemRunner().run(
        {{"qemu-img", "convert", "-f", "raw", "-O", "qcow2", image.disk.string(), qcow2.string()}});
    stdfs::create_directories(temp);
    Outcome converted = verify({qcow2, std::nullopt, temp});
    CHECK(converted.ok);
    CHECK_THAT(converted.report, Contains("qcow2 read through a raw copy"));
    CHECK(stdfs::is_empty(temp)); // the raw copy is gone
    test::write(dir.path / "broken.qcow2", std::string("QFI\xfb", 4) + std::string(600, 'x'));
    CHECK(exit_code_of({dir.path / "broken.qcow2", std::nullopt, temp}) == ExitCode::failure);
    CHECK(stdfs::is_empty(temp)); // also when qemu-img fails

    test::write(dir.path / "good.json", R"({"verity": {"root_hash": ")" + image.root_hash + "\"}}");
    CHECK(verify({image.disk, dir.path / "good.json", {}}).ok);
    std::string other = image.root_hash;
    other[0] = other[0] == 'a' ? 'b' : 'a';
    test::write(dir.path / "other.json", R"({"verity": {"root_hash": ")" + other + "\"}}");
    Outcome mismatch = verify({image.disk, dir.path / "other.json", {}});
    CHECK_FALSE(mismatch.ok);
    CHECK_THAT(mismatch.report, Contains("the manifest says root hash " + other));
    test::write(dir.path / "plain.json", R"({"plan": {}})");
    CHECK(exit_code_of({image.disk, dir.path / "plain.json", {}}) == ExitCode::bad_input);
    CHECK(exit_code_of({image.disk, dir.path / "missing.json", {}}) == ExitCode::bad_input);
}

TEST_CASE("verify names the data block with a flipped byte", "[verity]") {
    TempDir dir;
    TestImage image = make_image(dir.path);
    test::flip_byte(image.disk, usr_offset + 321 * 4096 + 17);
    Outcome outcome = verify({image.disk, std::nullopt, {}});
    CHECK_FALSE(outcome.ok);
    CHECK_THAT(outcome.report, Contains("usr: data blocks 321-321 (bytes 1314816-1318911 of the "
                                        "partition) do not match the hash tree"));
    CHECK_THAT(outcome.report, Contains("usr: 1 of 1000 data blocks differ"));
    CHECK_THAT(outcome.report, Contains("FAILED: usr does not match root hash " + image.root_hash));
}

TEST_CASE("verify reports a usr partition whose UUID is not the root hash's; refuses a plain image",
          "[verity]") {
    TempDir dir;
    TestImage image = make_image(dir.path, false);
    Outcome outcome = verify({image.disk, std::nullopt, {}});
    CHECK_FALSE(outcome.ok);
    CHECK_THAT(outcome.report,
               Contains("usr (partition 2) has UUID 0a1b2c3d-0000-4000-8000-000000000002, but the "
                        "root hash gives " +
                        init::verity_partition_uuids(image.root_hash).data));

    part::TableSpec plain;
    plain.disk_uuid = "5a1e0c7e-1b2d-4c3f-8a4b-5c6d7e8f9012";
    plain.disk_size = 4 * MiB;
    plain.partitions = {{"usr", *catalog::type_guid(catalog::native_target(), "usr"),
                         "0a1b2c3d-0000-4000-8000-000000000002", MiB, MiB, 0}};
    stdfs::path disk = dir.path / "plain.raw";
    test::write(disk, "");
    REQUIRE(truncate(disk.c_str(), 4 * MiB) == 0);
    part::write_partition_table(disk.string(), plain);
    CHECK(exit_code_of({disk, std::nullopt, {}}) == ExitCode::bad_input);
    CHECK(exit_code_of({dir.path / "missing.raw", std::nullopt, {}}) == ExitCode::bad_input);
}
