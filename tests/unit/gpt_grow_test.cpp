// lethe-init's GPT growth (initrd/gpt_grow.cpp) on image files: tables
// written by the builder's libfdisk writer (512-byte sectors) or by libfdisk
// directly (4096), grown, then checked with libfdisk and sfdisk.

#include "exec/command_runner.hpp"
#include "initrd/ext4_resize.hpp"
#include "initrd/failure.hpp"
#include "initrd/gpt_grow.hpp"
#include "part/partition_table.hpp"
#include "catalog/partition_types.hpp"
#include "catalog/target.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <filesystem>
#include <libfdisk/libfdisk.h>
#include <memory>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;
using Outcome = init::GptGrowth::Outcome;

namespace {

using test::TempDir;

constexpr uint64_t MiB = 1024 * 1024;

// esp, usr, persist: persist is last and ends 1 MiB before the end of 64 MiB.
part::TableSpec three_partitions() {
    part::TableSpec t;
    t.disk_uuid = "5a1e0c7e-1b2d-4c3f-8a4b-5c6d7e8f9012";
    t.disk_size = 64 * MiB;
    t.partitions = {
        {"esp", *catalog::type_guid(catalog::native_target(), "esp"), "0a1b2c3d-0000-4000-8000-000000000001", 1 * MiB, 8 * MiB, 0},
        {"usr", *catalog::type_guid(catalog::native_target(), "usr"), "0a1b2c3d-0000-4000-8000-000000000002", 9 * MiB, 32 * MiB, 0},
        {"persist", *catalog::type_guid(catalog::native_target(), "linux-generic"), "0a1b2c3d-0000-4000-8000-000000000003", 41 * MiB,
         22 * MiB, 0},
    };
    return t;
}

// A GPT image of the spec's size, then enlarged (sparse) to DISK bytes.
fs::path grown_file(const fs::path& path, const part::TableSpec& spec, uint64_t disk) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(ftruncate(fd.get(), static_cast<off_t>(spec.disk_size)) == 0);
    part::write_partition_table(path.string(), spec);
    REQUIRE(truncate(path.c_str(), static_cast<off_t>(disk)) == 0);
    return path;
}

init::GptGrowth grow(const fs::path& image, uint64_t sector_size, unsigned partition) {
    Fd fd(::open(image.c_str(), O_RDWR | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    return init::grow_gpt_partition(fd.get(), sector_size, fs::file_size(image), partition);
}

std::string read_bytes(const fs::path& path, uint64_t offset, size_t size) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    std::string bytes(size, '\0');
    REQUIRE(pread(fd.get(), bytes.data(), size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size));
    return bytes;
}

void write_bytes(const fs::path& path, uint64_t offset, const std::string& bytes) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    REQUIRE(pwrite(fd.get(), bytes.data(), bytes.size(), static_cast<off_t>(offset)) ==
            static_cast<ssize_t>(bytes.size()));
}

uint64_t le64(const std::string& bytes, size_t at) {
    uint64_t value = 0;
    for (size_t i = 8; i-- > 0;) value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
    return value;
}

bool have_sfdisk() {
    if (exec::tool_exists("sfdisk")) return true;
    WARN("sfdisk is not installed (Debian package fdisk): skipping the sfdisk checks");
    return false;
}

std::string sfdisk(const std::string& option, const fs::path& image) {
    return exec::SystemRunner().run({{"sfdisk", option, image.string()}});
}

struct ContextDeleter {
    void operator()(fdisk_context* cxt) const { fdisk_unref_context(cxt); }
};
using Context = std::unique_ptr<fdisk_context, ContextDeleter>;

Context open_with_sector_size(const fs::path& image, unsigned long sector_size, bool readonly) {
    Context cxt(fdisk_new_context());
    REQUIRE(fdisk_save_user_sector_size(cxt.get(), sector_size, sector_size) == 0);
    REQUIRE(fdisk_assign_device(cxt.get(), image.c_str(), readonly ? 1 : 0) == 0);
    return cxt;
}

// A GPT with 4096-byte sectors: two partitions of 4 and 16 MiB (the second
// last), written with libfdisk, since sfdisk 2.38 has no --sector-size.
void write_4k_table(const fs::path& image) {
    Context cxt = open_with_sector_size(image, 4096, false);
    REQUIRE(fdisk_create_disklabel(cxt.get(), "gpt") == 0);
    for (auto [start, size] : {std::pair<uint64_t, uint64_t>{256, 1024}, {1280, 4096}}) {
        fdisk_partition* pa = fdisk_new_partition();
        fdisk_partition_set_start(pa, start);
        fdisk_partition_set_size(pa, size);
        fdisk_partition_partno_follow_default(pa, 1);
        REQUIRE(fdisk_add_partition(cxt.get(), pa, nullptr) == 0);
        fdisk_unref_partition(pa);
    }
    REQUIRE(fdisk_write_disklabel(cxt.get()) == 0);
}

} // namespace

TEST_CASE("the last partition grows to the end of a larger disk, the backup GPT moves there", "[gpt_grow]") {
    TempDir dir;
    fs::path image = grown_file(dir.path / "disk.raw", three_partitions(), 96 * MiB);
    init::GptGrowth grown = grow(image, 512, 3);
    REQUIRE(grown.outcome == Outcome::grown);
    // 96 MiB is 196608 sectors: the backup header in the last one, its 32
    // sectors of entries before it, the last usable sector (196574) before
    // those; the partition ends on the MiB boundary before that, at 95 MiB.
    CHECK(grown.first_lba == 41 * 2048);
    CHECK(grown.old_last_lba == 63 * 2048 - 1);
    CHECK(grown.new_last_lba == 95 * 2048 - 1);
    CHECK(grown.backup_header_lba == 196607);

    part::PartitionTable table = part::read_partition_table(image.string());
    REQUIRE(table.partitions.size() == 3);
    CHECK(table.disk_size == 96 * MiB);
    CHECK(table.disk_uuid == "5a1e0c7e-1b2d-4c3f-8a4b-5c6d7e8f9012");
    for (size_t i = 0; i < 2; ++i) {
        CHECK(table.partitions[i].offset == three_partitions().partitions[i].offset);
        CHECK(table.partitions[i].size == three_partitions().partitions[i].size);
    }
    CHECK(table.partitions[2].offset == 41 * MiB);
    CHECK(table.partitions[2].size == 54 * MiB);
    CHECK(table.partitions[2].uuid == "0a1b2c3d-0000-4000-8000-000000000003");
    CHECK(table.partitions[2].name == "persist");

    std::string backup = read_bytes(image, 96 * MiB - 512, 512);
    CHECK(backup.substr(0, 8) == "EFI PART");
    CHECK(le64(backup, 24) == 196607); // its own LBA
    CHECK(le64(backup, 32) == 1);      // the primary's
    CHECK(le64(backup, 48) == 196574); // last usable
    std::string primary = read_bytes(image, 512, 512);
    CHECK(le64(primary, 32) == 196607);
    CHECK(le64(primary, 48) == 196574);
    // The protective MBR covers the disk again: 0xEE from LBA 1, last LBA sectors.
    std::string mbr = read_bytes(image, 446, 16);
    CHECK(static_cast<unsigned char>(mbr[4]) == 0xee);
    CHECK((le64(mbr, 8) & 0xffffffff) == 1);
    CHECK((le64(mbr, 8) >> 32) == 196607);

    if (have_sfdisk()) {
        CHECK_NOTHROW(sfdisk("--verify", image)); // both headers, both CRCs, the backup at the end
        std::string dump = sfdisk("--dump", image);
        CHECK_THAT(dump, Catch::Contains("last-lba: 196574\n"));
        CHECK_THAT(dump, Catch::Contains("3 : start=       83968, size=      110592,"));
    }
}

TEST_CASE("growing again changes nothing, byte for byte", "[gpt_grow]") {
    TempDir dir;
    fs::path image = grown_file(dir.path / "disk.raw", three_partitions(), 80 * MiB);
    REQUIRE(grow(image, 512, 3).outcome == Outcome::grown);
    std::string after_first = sha256_file(image);
    init::GptGrowth again = grow(image, 512, 3);
    CHECK(again.outcome == Outcome::already_full);
    CHECK(again.old_last_lba == again.new_last_lba);
    CHECK(sha256_file(image) == after_first);
}

TEST_CASE("a disk of the image's own size grows nothing", "[gpt_grow]") {
    TempDir dir;
    // As the builder places it: persist ends at the last MiB boundary (63 MiB).
    fs::path image = grown_file(dir.path / "disk.raw", three_partitions(), 64 * MiB);
    std::string before = sha256_file(image);
    CHECK(grow(image, 512, 3).outcome == Outcome::already_full);
    CHECK(sha256_file(image) == before);
    // A partition that already reaches the last usable sector (sfdisk puts
    // it there; libfdisk's writer aligns) is not shrunk to a MiB boundary.
    if (!have_sfdisk()) return;
    fs::path full = dir.path / "full.raw";
    exec::SystemRunner().run({{"sh", "-c", "truncate -s 64M \"$1\" && printf 'label: gpt\\nstart=2048, size=81920\\n"
                                           "start=83968, size=47071\\n' | sfdisk -q \"$1\"", "sh", full.string()}});
    CHECK_THAT(sfdisk("--dump", full), Catch::Contains("last-lba: 131038\n") &&
                                           Catch::Contains("2 : start=       83968, size=       47071,"));
    before = sha256_file(full);
    CHECK(grow(full, 512, 2).outcome == Outcome::already_full);
    CHECK(sha256_file(full) == before);
}

TEST_CASE("a disk a few KiB larger only gets its backup GPT moved", "[gpt_grow]") {
    TempDir dir;
    fs::path image = grown_file(dir.path / "disk.raw", three_partitions(), 64 * MiB + 8 * 1024);
    init::GptGrowth moved = grow(image, 512, 3);
    CHECK(moved.outcome == Outcome::grown);
    CHECK(moved.new_last_lba == moved.old_last_lba);
    CHECK(moved.backup_header_lba == 131087);
    if (have_sfdisk()) CHECK_NOTHROW(sfdisk("--verify", image));
    CHECK(grow(image, 512, 3).outcome == Outcome::already_full);
}

TEST_CASE("a partition that is not the last one is left alone", "[gpt_grow]") {
    TempDir dir;
    fs::path image = grown_file(dir.path / "disk.raw", three_partitions(), 96 * MiB);
    std::string before = sha256_file(image);
    init::GptGrowth result = grow(image, 512, 2); // usr: persist comes after it
    CHECK(result.outcome == Outcome::skipped);
    CHECK_THAT(result.reason, Catch::Contains("partition 3 ends after it, at sector 129023"));
    CHECK(sha256_file(image) == before);
    CHECK_THROWS_WITH(grow(image, 512, 4), Catch::Contains("partition 4 is not in the GPT"));
    CHECK(sha256_file(image) == before);
}

TEST_CASE("a table that cannot be trusted is refused, untouched", "[gpt_grow]") {
    TempDir dir;
    fs::path image = grown_file(dir.path / "disk.raw", three_partitions(), 96 * MiB);
    std::string pristine = sha256_file(image);

    SECTION("header CRC") {
        write_bytes(image, 512 + 60, "X"); // a byte of the disk GUID
        std::string before = sha256_file(image);
        CHECK_THROWS_WITH(grow(image, 512, 3), Catch::Contains("GPT header's CRC does not match"));
        CHECK(sha256_file(image) == before);
    }
    SECTION("entries CRC") {
        write_bytes(image, 1024 + 2 * 128 + 56, "Y"); // persist's name
        std::string before = sha256_file(image);
        CHECK_THROWS_WITH(grow(image, 512, 3), Catch::Contains("partition entries do not match their CRC"));
        CHECK(sha256_file(image) == before);
    }
    SECTION("signature") {
        write_bytes(image, 512, "NOT PART");
        CHECK_THROWS_WITH(grow(image, 512, 3), Catch::Contains("no 'EFI PART' signature"));
    }
    SECTION("a disk smaller than the table") {
        Fd fd(::open(image.c_str(), O_RDWR | O_CLOEXEC));
        CHECK_THROWS_WITH(init::grow_gpt_partition(fd.get(), 512, 32 * MiB, 3),
                          Catch::Contains("the disk is smaller than the image"));
        CHECK(sha256_file(image) == pristine);
    }
    SECTION("the wrong sector size finds no header") {
        CHECK_THROWS_WITH(grow(image, 4096, 3), Catch::Contains("no 'EFI PART' signature"));
        CHECK(sha256_file(image) == pristine);
    }
}

TEST_CASE("a GPT with 4096-byte sectors grows the same way", "[gpt_grow]") {
    TempDir dir;
    fs::path image = dir.path / "disk4k.raw";
    {
        Fd fd(::open(image.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        REQUIRE(ftruncate(fd.get(), 32 * MiB) == 0);
    }
    write_4k_table(image);
    REQUIRE(truncate(image.c_str(), 64 * MiB) == 0);
    init::GptGrowth grown = grow(image, 4096, 2);
    REQUIRE(grown.outcome == Outcome::grown);
    // 64 MiB is 16384 sectors; 16 KiB of entries are 4 sectors.
    CHECK(grown.first_lba == 1280);
    CHECK(grown.old_last_lba == 1280 + 4096 - 1);
    CHECK(grown.new_last_lba == 63 * 256 - 1); // last usable 16378; MiBs are 256 sectors
    CHECK(grown.backup_header_lba == 16383);
    CHECK(read_bytes(image, 64 * MiB - 4096, 8) == "EFI PART");

    Context cxt = open_with_sector_size(image, 4096, true);
    REQUIRE(fdisk_is_label(cxt.get(), GPT));
    CHECK(fdisk_verify_disklabel(cxt.get()) == 0); // 0: no problems found
    CHECK(fdisk_get_last_lba(cxt.get()) == 16378);
    CHECK(fdisk_get_nsectors(cxt.get()) == 16384);
    fdisk_partition* pa = nullptr;
    REQUIRE(fdisk_get_partition(cxt.get(), 1, &pa) == 0);
    CHECK(fdisk_partition_get_end(pa) == 63 * 256 - 1);
    fdisk_unref_partition(pa);
    CHECK(grow(image, 4096, 2).outcome == Outcome::already_full);
}

TEST_CASE("the ext4 superblock gives the block count and size", "[gpt_grow]") {
    if (!exec::tool_exists("mke2fs")) {
        WARN("mke2fs is not installed (Debian package e2fsprogs): skipping");
        return;
    }
    TempDir dir;
    fs::path image = dir.path / "fs.img";
    exec::SystemRunner().run({{"mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", image.string(), "24M"}});
    Fd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
    init::Ext4Size size = init::read_ext4_size(fd.get());
    CHECK(size.block_size == 4096);
    CHECK(size.blocks == 6144);
    REQUIRE(truncate(image.c_str(), 0) == 0);
    REQUIRE(truncate(image.c_str(), 4096) == 0);
    CHECK_THROWS_WITH(init::read_ext4_size(fd.get()), Catch::Contains("no ext4 superblock"));
}

TEST_CASE("sizes on the console are MiB below a GiB, else GiB", "[gpt_grow]") {
    CHECK(init::human_size(253 * MiB + 5) == "253 MiB");
    CHECK(init::human_size(6335 * MiB) == "6.2 GiB");
}
