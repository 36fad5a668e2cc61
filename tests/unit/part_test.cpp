#include "exec/command_runner.hpp"
#include "part/inspect.hpp"
#include "part/partition_table.hpp"
#include "catalog/partition_types.hpp"
#include "catalog/target.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

using test::TempDir;
using test::write;

constexpr uint64_t MiB = 1024 * 1024;

// A sparse file of `size` bytes: no blocks are written until the table is.
fs::path sparse_image(const fs::path& path, uint64_t size) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(fd.get() >= 0);
    REQUIRE(ftruncate(fd.get(), static_cast<off_t>(size)) == 0);
    return path;
}

part::TableSpec sample_table() {
    part::TableSpec t;
    t.disk_uuid = "5a1e0c7e-1b2d-4c3f-8a4b-5c6d7e8f9012";
    t.disk_size = 64 * MiB;
    t.partitions = {
        {"esp", *catalog::type_guid(catalog::native_target(), "esp"), "0a1b2c3d-0000-4000-8000-000000000001", 1 * MiB,
         8 * MiB, 1ull << 2},
        {"usr", *catalog::type_guid(catalog::native_target(), "usr"), "0a1b2c3d-0000-4000-8000-000000000002", 9 * MiB,
         32 * MiB, 1ull << 60},
        {"persist", *catalog::type_guid(catalog::native_target(), "linux-generic"), "0a1b2c3d-0000-4000-8000-000000000003",
         41 * MiB, 22 * MiB, 0},
    };
    return t;
}

} // namespace

TEST_CASE("partition types: DPS names, literal GUIDs, reverse lookup", "[part]") {
    CHECK(catalog::type_guid(catalog::native_target(), "root") == "4f68bce3-e8cd-4db1-96e7-fbcaf984b709");
    CHECK(catalog::type_guid(catalog::native_target(), "usr") == "8484680c-9521-48c6-9c11-b0720656f69e");
    CHECK(catalog::type_guid(catalog::native_target(), "xbootldr") == "bc13c2ff-59e6-4262-a352-b275fd6f7172");
    CHECK(catalog::type_guid(catalog::native_target(), "home") == "933ac7e1-2eb4-4f13-b844-0e14e2aef915");
    CHECK(catalog::type_guid(catalog::native_target(), "0FC63DAF-8483-4772-8E79-3D69D8477DE4") ==
          "0fc63daf-8483-4772-8e79-3d69d8477de4");
    CHECK_FALSE(catalog::type_guid(catalog::native_target(), "usrr"));
    CHECK_FALSE(catalog::type_guid(catalog::native_target(), "0fc63daf-8483-4772-8e79-3d69d8477de"));
    CHECK_FALSE(catalog::type_guid(catalog::native_target(), "0fc63daf+8483-4772-8e79-3d69d8477de4"));
    CHECK(catalog::type_name_for(catalog::native_target(), "8484680C-9521-48C6-9C11-B0720656F69E") == "usr");
    CHECK(catalog::type_name_for(catalog::native_target(), "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f") == "swap");
    CHECK(catalog::type_name_for(catalog::native_target(), "11111111-2222-3333-4444-555555555555") ==
          "11111111-2222-3333-4444-555555555555");
    auto names = catalog::type_names();
    CHECK(std::is_sorted(names.begin(), names.end()));
    for (const char* name :
         {"esp", "bios-boot", "root-verity", "usr-verity", "srv", "var", "tmp", "usr"})
        CHECK(std::find(names.begin(), names.end(), name) != names.end());
}

namespace {

// sfdisk names the partitions after the image path; the golden text says IMAGE.
std::string sfdisk_dump(const fs::path& image) {
    std::string dump = exec::SystemRunner().run({{"sfdisk", "--dump", image.string()}});
    for (size_t at = dump.find(image.string()); at != std::string::npos;
         at = dump.find(image.string(), at))
        dump.replace(at, image.string().size(), "IMAGE");
    return dump;
}

} // namespace

TEST_CASE("the GPT written with libfdisk is exactly what the spec says (sfdisk --dump)", "[part]") {
    if (!exec::tool_exists("sfdisk")) {
        WARN("sfdisk is not installed (Debian package fdisk): skipping the sfdisk comparison");
        return;
    }
    TempDir dir;
    fs::path image = sparse_image(dir.path / "disk.raw", 64 * MiB);
    part::write_partition_table(image.string(), sample_table());
    // Sectors: 1 MiB = 2048; the last usable sector is 131072 - 34 (the backup GPT).
    CHECK(sfdisk_dump(image) ==
          "label: gpt\n"
          "label-id: 5A1E0C7E-1B2D-4C3F-8A4B-5C6D7E8F9012\n"
          "device: IMAGE\n"
          "unit: sectors\n"
          "first-lba: 2048\n"
          "last-lba: 131038\n"
          "sector-size: 512\n"
          "\n"
          "IMAGE1 : start=        2048, size=       16384, "
          "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, "
          "uuid=0A1B2C3D-0000-4000-8000-000000000001, name=\"esp\", attrs=\"LegacyBIOSBootable\"\n"
          "IMAGE2 : start=       18432, size=       65536, "
          "type=8484680C-9521-48C6-9C11-B0720656F69E, "
          "uuid=0A1B2C3D-0000-4000-8000-000000000002, name=\"usr\", attrs=\"GUID:60\"\n"
          "IMAGE3 : start=       83968, size=       45056, "
          "type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, "
          "uuid=0A1B2C3D-0000-4000-8000-000000000003, name=\"persist\"\n");
    // sfdisk --verify checks both headers' CRCs and the backup GPT.
    CHECK_NOTHROW(exec::SystemRunner().run({{"sfdisk", "--verify", image.string()}}));
}

TEST_CASE("read_partition_table returns every field that was written", "[part]") {
    TempDir dir;
    fs::path image = sparse_image(dir.path / "disk.raw", 64 * MiB);
    part::TableSpec spec = sample_table();
    part::write_partition_table(image.string(), spec);
    part::PartitionTable table = part::read_partition_table(image.string());
    CHECK(table.label == "gpt");
    CHECK(table.disk_uuid == spec.disk_uuid);
    CHECK(table.sector_size == 512);
    CHECK(table.disk_size == 64 * MiB);
    REQUIRE(table.partitions.size() == 3);
    const std::vector<std::string> type_names = {"esp", "usr", "linux-generic"};
    for (size_t i = 0; i < 3; ++i) {
        INFO("partition " << i + 1);
        const part::Partition& p = table.partitions[i];
        CHECK(p.number == i + 1);
        CHECK(p.name == spec.partitions[i].name);
        CHECK(p.type_guid == spec.partitions[i].type_guid);
        CHECK(p.type_name == type_names[i]);
        CHECK(p.uuid == spec.partitions[i].uuid);
        CHECK(p.offset == spec.partitions[i].offset);
        CHECK(p.size == spec.partitions[i].size);
        CHECK(p.attributes == spec.partitions[i].attributes);
    }
}

TEST_CASE("the same table spec gives the same bytes; a different disk UUID does not", "[part]") {
    TempDir dir;
    fs::path a = sparse_image(dir.path / "a.raw", 64 * MiB);
    fs::path b = sparse_image(dir.path / "b.raw", 64 * MiB);
    fs::path c = sparse_image(dir.path / "c.raw", 64 * MiB);
    part::write_partition_table(a.string(), sample_table());
    part::write_partition_table(b.string(), sample_table());
    part::TableSpec other = sample_table();
    other.disk_uuid = "5a1e0c7e-1b2d-4c3f-8a4b-5c6d7e8f9013";
    part::write_partition_table(c.string(), other);
    CHECK(sha256_file(a) == sha256_file(b));
    CHECK(sha256_file(a) != sha256_file(c));
    // Writing again over an existing table changes nothing either.
    part::write_partition_table(a.string(), sample_table());
    CHECK(sha256_file(a) == sha256_file(b));
}

TEST_CASE("bad tables are refused with the partition and the limit named", "[part]") {
    TempDir dir;
    fs::path image = sparse_image(dir.path / "disk.raw", 64 * MiB);
    part::TableSpec beyond = sample_table();
    beyond.partitions[2].size = 24 * MiB; // 41 + 24 > 64 MiB
    CHECK_THROWS_WITH(part::write_partition_table(image.string(), beyond),
                      Catch::Contains("partition 'persist' ends at byte 68157440 (65 MiB)") &&
                          Catch::Contains("ends at byte 67091968"));
    part::TableSpec overlap = sample_table();
    overlap.partitions[1].offset = 8 * MiB;
    CHECK_THROWS_WITH(part::write_partition_table(image.string(), overlap),
                      Catch::Contains("partitions 'esp' and 'usr' overlap"));
    part::TableSpec early = sample_table();
    early.partitions[0].offset = 512 * 1024;
    CHECK_THROWS_WITH(
        part::write_partition_table(image.string(), early),
        Catch::Contains("'esp' starts at byte 524288, before the first usable byte 1048576"));
    part::TableSpec bigger = sample_table();
    bigger.disk_size = 128 * MiB;
    CHECK_THROWS_WITH(
        part::write_partition_table(image.string(), bigger),
        Catch::Contains("is 67108864 bytes but its partition table is for 134217728 bytes"));
    try {
        part::write_partition_table(image.string(), beyond);
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
    }
    // Nothing was written by the refused attempts.
    CHECK_THROWS_WITH(part::read_partition_table(image.string()),
                      Catch::Contains("has no partition table"));
}

TEST_CASE("reading refuses images that are not GPT, and explains qcow2", "[part]") {
    TempDir dir;
    fs::path qcow2 = sparse_image(dir.path / "disk.qcow2", 1 * MiB);
    {
        Fd fd(::open(qcow2.c_str(), O_WRONLY | O_CLOEXEC));
        REQUIRE(pwrite(fd.get(), "QFI\xfb\0\0\0\3", 8, 0) == 8);
    }
    CHECK_THROWS_WITH(part::read_partition_table(qcow2.string()),
                      Catch::Contains("is a qcow2 image") &&
                          Catch::Contains("qemu-img convert -O raw"));
    CHECK_THROWS_WITH(part::read_partition_table((dir.path / "missing.raw").string()),
                      Catch::Contains("cannot open") &&
                          Catch::Contains("No such file or directory"));
    if (exec::tool_exists("sfdisk")) {
        fs::path dos = sparse_image(dir.path / "dos.raw", 8 * MiB);
        exec::SystemRunner().run(
            {{"sh", "-c", "echo 'label: dos' | sfdisk --quiet " + dos.string()}});
        CHECK_THROWS_WITH(part::read_partition_table(dos.string()),
                          Catch::Contains("has a dos partition table, not GPT"));
    }
}

namespace {

bool have_tools(std::initializer_list<const char*> tools) {
    for (const char* tool : tools)
        if (!exec::tool_exists(tool)) {
            WARN(tool << " is not installed: skipping the filesystem probe");
            return false;
        }
    return true;
}

void copy_into(const fs::path& image, const fs::path& filesystem, uint64_t offset) {
    Fd fd(::open(image.c_str(), O_WRONLY | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    copy_sparse_into(filesystem, fd.get(), offset);
}

// The sample table with vfat in "esp", ext4 in "persist" and "usr" left empty,
// made in the order of outputs::assemble_disk: filesystems first, then the table.
fs::path image_with_filesystems(const fs::path& dir) {
    exec::SystemRunner runner;
    fs::path esp = dir / "esp.vfat";
    fs::path persist = dir / "persist.ext4";
    runner.run({{"mkfs.vfat", "-C", "-n", "LETHE-ESP", "-i", "1234abcd", esp.string(), "8192"}});
    runner.run({{"mke2fs", "-q", "-t", "ext4", "-L", "persist", "-U",
                 "0a1b2c3d-1111-4000-8000-00000000000f", persist.string(), "22M"}});
    fs::path image = sparse_image(dir / "disk.raw", 64 * MiB);
    copy_into(image, esp, 1 * MiB);
    copy_into(image, persist, 41 * MiB);
    part::write_partition_table(image.string(), sample_table());
    return image;
}

} // namespace

TEST_CASE("inspect finds the filesystems copied into the partitions", "[part]") {
    if (!have_tools({"mkfs.vfat", "mke2fs"})) return;
    TempDir dir;
    part::Inspection inspection = part::inspect_image(image_with_filesystems(dir.path).string());
    REQUIRE(inspection.partitions.size() == 3);
    CHECK(inspection.partitions[1].partition.name == "usr");
    REQUIRE(inspection.partitions[0].filesystem);
    CHECK(inspection.partitions[0].filesystem->type == "vfat");
    CHECK(inspection.partitions[0].filesystem->label == "LETHE-ESP");
    CHECK(inspection.partitions[0].filesystem->uuid == "1234-ABCD");
    CHECK_FALSE(inspection.partitions[1].filesystem); // usr was left empty
    REQUIRE(inspection.partitions[2].filesystem);
    CHECK(inspection.partitions[2].filesystem->type == "ext4");
    CHECK(inspection.partitions[2].filesystem->label == "persist");
    CHECK(inspection.partitions[2].filesystem->uuid == "0a1b2c3d-1111-4000-8000-00000000000f");
}

TEST_CASE("inspect prints a table and JSON with the keys the e2e tests read", "[part]") {
    if (!have_tools({"mkfs.vfat", "mke2fs"})) return;
    TempDir dir;
    fs::path image = image_with_filesystems(dir.path);
    part::Inspection inspection = part::inspect_image(image.string());
    nlohmann::ordered_json j = part::inspection_json(inspection);
    CHECK(j["path"] == image.string());
    CHECK(j["disk"]["uuid"] == "5a1e0c7e-1b2d-4c3f-8a4b-5c6d7e8f9012");
    CHECK(j["disk"]["label"] == "gpt");
    CHECK(j["disk"]["size"] == 64 * MiB);
    CHECK(j["partitions"][0]["name"] == "esp");
    CHECK(j["partitions"][0]["attributes"] == 4);
    CHECK(j["partitions"][0]["filesystem"]["type"] == "vfat");
    CHECK_FALSE(j["partitions"][1].contains("filesystem"));
    CHECK(j["partitions"][2]["type"] == "linux-generic");
    CHECK(j["partitions"][2]["offset"] == 41 * MiB);
    CHECK(j["partitions"][2]["filesystem"]["label"] == "persist");

    std::string text = part::inspection_text(inspection);
    CHECK_THAT(
        text, Catch::StartsWith(image.string() +
                                ": gpt, 64 MiB, disk UUID 5a1e0c7e-1b2d-4c3f-8a4b-5c6d7e8f9012\n"));
    CHECK_THAT(
        text,
        Catch::Contains("1  esp      esp            1 MiB   8 MiB   vfat  LETHE-ESP  1234-ABCD\n"));
    CHECK_THAT(text,
               Catch::Contains("2  usr      usr            9 MiB   32 MiB  -     -          -\n"));
}

TEST_CASE("inspect recognises erofs, the filesystem of the OS partition", "[part]") {
    if (!have_tools({"mkfs.vfat", "mke2fs", "mkfs.erofs"})) return;
    TempDir dir;
    fs::path image = image_with_filesystems(dir.path);
    fs::create_directories(dir.path / "tree/bin");
    fs::path usr = dir.path / "usr.erofs";
    exec::SystemRunner().run(
        {{"mkfs.erofs", "--quiet", "-T0", "-U", "0a1b2c3d-2222-4000-8000-00000000000e",
          usr.string(), (dir.path / "tree").string()}});
    copy_into(image, usr, 9 * MiB);
    part::Inspection inspection = part::inspect_image(image.string());
    REQUIRE(inspection.partitions[1].filesystem);
    CHECK(inspection.partitions[1].filesystem->type == "erofs");
    CHECK(inspection.partitions[1].filesystem->uuid == "0a1b2c3d-2222-4000-8000-00000000000e");
}
