// dm-verity's formats (initrd/verity.cpp), the veritysetup seam and the
// in-process hash tree (builder/verity), against hash images made by the
// real `veritysetup format`.

#include "exec/command_runner.hpp"
#include "initrd/failure.hpp"
#include "initrd/verity.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"
#include "util/uuid.hpp"
#include "verity/hash_tree.hpp"
#include "verity/verify.hpp"
#include "verity/veritysetup.hpp"
#include "verity_support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace lethe;
namespace stdfs = std::filesystem;
using Catch::Matchers::Contains;
using test::TempDir;

namespace {

// Computed apart from lethe, with Python's hashlib and uuid:
//   sha256(bytes.fromhex(test_salt) + bytes((i*7+3) & 0xff for i in range(4096)))
//   uuid.UUID(bytes=root[:16]), uuid.UUID(bytes=root[16:])
constexpr const char* one_block_root =
    "9fd24d9524bf2c8ac4a9996325bb1eaba60980b8e652c204991f4583260c0bac";
constexpr const char* worked_root =
    "b6abdae4238f8239d455461f42eae38ab03a4def84a7b5d79b848e0a6ce81881";

init::VeritySuperblock superblock_of(const stdfs::path& hash) {
    std::string bytes = read_file(hash);
    return init::parse_verity_superblock(reinterpret_cast<const unsigned char*>(bytes.data()),
                                         bytes.size());
}

// The first 512 bytes of a real hash image, with BYTE at OFFSET.
std::string patched_superblock(const stdfs::path& hash, size_t offset, char byte) {
    std::string bytes = read_file(hash).substr(0, 512);
    bytes[offset] = byte;
    return bytes;
}

std::string parse_error(const std::string& bytes) {
    try {
        init::parse_verity_superblock(reinterpret_cast<const unsigned char*>(bytes.data()),
                                      bytes.size());
    } catch (const init::Failure& error) {
        return error.what();
    }
    return "(no error)";
}

std::string usrhash_error(const std::string& cmdline) {
    try {
        init::usrhash_from_cmdline(cmdline);
    } catch (const init::Failure& error) {
        return error.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("usrhash= is read from the kernel command line and checked", "[verity]") {
    const std::string hash = worked_root;
    CHECK(init::usrhash_from_cmdline("console=ttyS0 usrhash=" + hash + " quiet\n") == hash);
    CHECK(init::usrhash_from_cmdline("usrhash=\"" + hash + "\"") == hash);
    CHECK(init::usrhash_from_cmdline("\"usrhash=" + hash + "\" ro") == hash);
    CHECK(init::usrhash_from_cmdline("usrhash=" + hash + " usrhash=" + hash) == hash);
    CHECK_FALSE(init::usrhash_from_cmdline("console=ttyS0 roothash=" + hash));
    CHECK_FALSE(init::usrhash_from_cmdline("console=ttyS0 xusrhash=" + hash));
    // After "--" the words are init's arguments, not kernel parameters.
    CHECK_FALSE(init::usrhash_from_cmdline("quiet -- usrhash=" + hash));

    CHECK_THAT(usrhash_error("usrhash=" + hash.substr(1)),
               Contains("usrhash= must be 64 lowercase hex digits") && Contains("(63 characters)"));
    std::string upper = hash;
    upper[0] = 'B';
    CHECK_THAT(usrhash_error("usrhash=" + upper), Contains("must be 64 lowercase hex digits"));
    CHECK_THAT(usrhash_error("usrhash="), Contains("not ''"));
    CHECK_THAT(usrhash_error("quiet usrhash"), Contains("has no value"));
    std::string other = hash;
    other[63] = '0';
    CHECK_THAT(usrhash_error("usrhash=" + hash + " usrhash=" + other),
               Contains("two different usrhash="));
}

TEST_CASE("the partition UUIDs are the halves of the root hash, bytes in order, no bits forced",
          "[verity]") {
    init::VerityPartitionUuids uuids = init::verity_partition_uuids(worked_root);
    CHECK(uuids.data == "b6abdae4-238f-8239-d455-461f42eae38a");
    CHECK(uuids.hash == "b03a4def-84a7-b5d7-9b84-8e0a6ce81881");
    CHECK_THROWS_AS(init::verity_partition_uuids("b6abdae4"), init::Failure);
}

TEST_CASE("the superblock veritysetup writes is parsed field by field", "[verity]") {
    TempDir dir;
    test::write_data_file(dir.path / "data", 129);
    test::veritysetup_format(dir.path / "data", dir.path / "hash");
    init::VeritySuperblock sb = superblock_of(dir.path / "hash");
    CHECK(sb.version == 1);
    CHECK(sb.hash_type == 1);
    CHECK(sb.uuid == test::test_uuid);
    CHECK(sb.algorithm == "sha256");
    CHECK(sb.data_block_size == 4096);
    CHECK(sb.hash_block_size == 4096);
    CHECK(sb.data_blocks == 129);
    REQUIRE(sb.salt.size() == 32);
    CHECK(static_cast<unsigned char>(sb.salt[0]) == 0x00);
    CHECK(static_cast<unsigned char>(sb.salt[31]) == 0xff);

    const stdfs::path hash = dir.path / "hash";
    CHECK_THAT(parse_error(patched_superblock(hash, 0, 'V')), Contains("no dm-verity superblock"));
    CHECK_THAT(parse_error(patched_superblock(hash, 8, 2)), Contains("version 2"));
    CHECK_THAT(parse_error(patched_superblock(hash, 12, 0)), Contains("hash type 0"));
    CHECK_THAT(parse_error(patched_superblock(hash, 65, 0x11)), Contains("data block size 4352"));
    CHECK_THAT(parse_error(patched_superblock(hash, 72, 0)), Contains("no data blocks"));
    CHECK_THAT(parse_error(patched_superblock(hash, 81, 2)), Contains("salt of 544 bytes"));
    CHECK_THAT(parse_error(read_file(hash).substr(0, 100)), Contains("only 100 bytes"));
    std::string unterminated = read_file(hash).substr(0, 512);
    unterminated.replace(32, 32, std::string(32, 'x'));
    CHECK_THAT(parse_error(unterminated), Contains("hash algorithm is not terminated"));
}

TEST_CASE("the tree's geometry is the kernel's and veritysetup's", "[verity]") {
    init::HashTreeGeometry one = init::hash_tree_geometry(1, 4096, 32);
    CHECK(one.level_start.empty());
    CHECK(one.hash_device_blocks == 1);
    init::HashTreeGeometry two = init::hash_tree_geometry(129, 4096, 32);
    CHECK(two.digests_per_block == 128);
    CHECK(two.level_start == std::vector<uint64_t>{2, 1}); // the top level first
    CHECK(two.level_blocks == std::vector<uint64_t>{2, 1});
    CHECK(init::hash_tree_geometry(128, 4096, 32).level_blocks == std::vector<uint64_t>{1});
    CHECK(init::hash_tree_geometry(16385, 4096, 32).level_blocks ==
          std::vector<uint64_t>{129, 2, 1});
    CHECK(init::hash_tree_geometry(100, 4096, 20).digests_per_block ==
          128); // sha1: 204 rounded down

    TempDir dir;
    for (uint64_t blocks : {1, 127, 1000, 16385}) {
        CAPTURE(blocks);
        stdfs::path data = dir.path / "data", hash = dir.path / "hash";
        test::write(data, "");
        REQUIRE(truncate(data.c_str(), static_cast<off_t>(blocks * 4096)) ==
                0); // holes read as zeros
        test::veritysetup_format(data, hash);
        CHECK(init::hash_tree_geometry(superblock_of(hash)).hash_device_blocks * 4096 ==
              stdfs::file_size(hash));
    }
}

TEST_CASE("the dm table maps each on-corruption mode to dm-verity's option", "[verity]") {
    init::VeritySuperblock sb;
    sb.algorithm = "sha256";
    sb.data_block_size = sb.hash_block_size = 4096;
    sb.data_blocks = 1000;
    sb.salt = std::string("\x00\x11\xfe", 3);
    init::VerityTarget target{"254:1", "254:2", sb, worked_root, init::OnCorruption::eio};
    const std::string base = std::string("0 8000 verity 1 254:1 254:2 4096 4096 1000 1 sha256 ") +
                             worked_root + " 0011fe";
    CHECK(init::table_line(init::verity_target(target)) == base);
    target.on_corruption = init::parse_on_corruption("restart");
    CHECK(init::table_line(init::verity_target(target)) == base + " 1 restart_on_corruption");
    target.on_corruption = init::parse_on_corruption("panic");
    CHECK(init::table_line(init::verity_target(target)) == base + " 1 panic_on_corruption");
    CHECK(init::verity_target(target).type == "verity");
    CHECK(init::verity_target(target).sectors == 8000);
    CHECK(std::string(init::to_string(init::OnCorruption::eio)) == "eio");
    CHECK_THROWS_AS(init::parse_on_corruption("ignore"), init::Failure);
    target.superblock.salt.clear();
    target.on_corruption = init::OnCorruption::eio;
    CHECK(init::table_line(init::verity_target(target)) ==
          std::string("0 8000 verity 1 254:1 254:2 4096 4096 1000 1 sha256 ") + worked_root + " -");
}

TEST_CASE("veritysetup's command line and its root hash, salt and UUID from the seed", "[verity]") {
    verity::FormatJob job = verity::format_job("seed-1", "usr", "/w/usr.img", "/w/usr-verity.img");
    // python3: hmac.new(b"seed-1", b"verity-salt:usr", hashlib.sha256).hexdigest()
    CHECK(job.salt_hex == "278a72df068db8dbbcd600d13d979700a927934ec504c87487760fd14c0d98a9");
    CHECK(job.uuid == derive_uuid("seed-1", "verity-superblock:usr"));
    verity::FormatJob again = verity::format_job("seed-1", "usr", "a", "b");
    CHECK(again.salt_hex == job.salt_hex);
    CHECK(verity::format_job("seed-2", "usr", "a", "b").salt_hex != job.salt_hex);
    CHECK(verity::format_job("seed-1", "root", "a", "b").salt_hex != job.salt_hex);
    CHECK(verity::format_command(job).argv ==
          std::vector<std::string>{"veritysetup", "format", "/w/usr.img", "/w/usr-verity.img",
                                   "--hash=sha256", "--data-block-size=4096",
                                   "--hash-block-size=4096", "--salt=" + job.salt_hex,
                                   "--uuid=" + job.uuid});

    const std::string output = std::string("VERITY header information for h\nHash type:       \t1\n"
                                           "Root hash:      \t") +
                               worked_root + "\nHash device size: \t16384 [bytes]\n";
    CHECK(verity::parse_root_hash(output) == worked_root);
    CHECK_THROWS_WITH(verity::parse_root_hash("Hash type: 1\n"), Contains("printed no root hash"));
    CHECK_THROWS_WITH(verity::parse_root_hash("Root hash: abc\n"),
                      Contains("64 lowercase hex digits"));

    TempDir dir;
    exec::RecordingRunner runner;
    runner.canned_output = output;
    job.data_image = dir.path / "usr.img";
    job.hash_image = dir.path / "hash";
    test::write_data_file(job.data_image, 2);
    test::write(job.hash_image, "old bytes that must not survive");
    CHECK(verity::format(runner, job) == worked_root);
    CHECK(stdfs::file_size(job.hash_image) == 0);
    REQUIRE(runner.commands.size() == 1);
    REQUIRE(truncate(job.data_image.c_str(), 10000) == 0);
    CHECK_THROWS_WITH(verity::format(runner, job),
                      Contains("is 10000 bytes, not whole blocks of 4096: its "
                               "last 1808 bytes would not be protected"));
}

TEST_CASE("two runs of veritysetup with the seeded salt and UUID write the same hash image",
          "[verity]") {
    TempDir dir;
    test::write_data_file(dir.path / "usr.img", 300);
    std::string sums[2];
    for (int run = 0; run < 2; ++run) {
        stdfs::path hash = dir.path / ("hash" + std::to_string(run));
        test::write(hash, std::string(3 * 4096 * (run + 1), 'x')); // leftovers of another build
        verity::FormatJob job = verity::format_job("a seed", "usr", dir.path / "usr.img", hash);
        exec::SystemRunner runner;
        verity::format(runner, job);
        sums[run] = sha256_file(hash);
    }
    CHECK(sums[0] == sums[1]);
}

TEST_CASE("the in-process root hash is veritysetup's", "[verity]") {
    TempDir dir;
    // One block (no tree), not a multiple of 128 (two levels), three levels.
    for (uint64_t blocks : {1, 1000, 16385}) {
        CAPTURE(blocks);
        stdfs::path data = dir.path / ("data" + std::to_string(blocks)),
                    hash = data.string() + ".hash";
        test::write_data_file(data, blocks);
        std::string expected = test::veritysetup_format(data, hash);
        test::FileRegion region(data, "usr");
        CHECK(verity::compute_root_hash(region.region, superblock_of(hash)) == expected);
        if (blocks == 1) CHECK(expected == one_block_root);
    }
}

TEST_CASE("the tree check finds a flipped data byte and names its block", "[verity]") {
    TempDir dir;
    stdfs::path data = dir.path / "usr.img", hash = dir.path / "usr-verity.img";
    test::write_data_file(data, 1000);
    std::string root = test::veritysetup_format(data, hash);
    {
        test::FileRegion d(data, "usr"), h(hash, "usr-verity");
        verity::TreeCheck check = verity::check_hash_tree(d.region, h.region, root);
        CHECK(check.ok());
        CHECK(check.computed_root_hash == root);
        CHECK(check.stored_root_hash == root);
        CHECK(verity::describe_mismatches(check, "usr", "usr-verity", root).empty());
    }
    test::flip_byte(data, 777 * 4096 + 5);
    test::FileRegion d(data, "usr"), h(hash, "usr-verity");
    verity::TreeCheck check = verity::check_hash_tree(d.region, h.region, root);
    CHECK_FALSE(check.ok());
    CHECK(check.root_matches); // the tree itself is intact
    CHECK(check.data.ranges == std::vector<verity::BlockRange>{{777, 777}});
    auto lines = verity::describe_mismatches(check, "usr", "usr-verity", root);
    REQUIRE(!lines.empty());
    CHECK(lines[0] == "usr: data blocks 777-777 (bytes 3182592-3186687 of the partition) do not "
                      "match the hash tree");
    CHECK_THAT(lines.back(), Contains("the data as it is has root hash"));
}

TEST_CASE("the tree check finds a changed hash block, a wrong root hash, a foreign superblock",
          "[verity]") {
    TempDir dir;
    stdfs::path data = dir.path / "usr.img", hash = dir.path / "usr-verity.img";
    test::write_data_file(data, 1000); // levels: 8 blocks of level 0 at 2-9, the top at 1
    std::string root = test::veritysetup_format(data, hash);
    std::string wrong = root;
    wrong[10] = wrong[10] == '0' ? '1' : '0';
    {
        test::FileRegion d(data, "usr"), h(hash, "usr-verity");
        verity::TreeCheck check = verity::check_hash_tree(d.region, h.region, wrong);
        CHECK_FALSE(check.root_matches);
        CHECK(check.data.empty());
        CHECK(check.hash_levels.at(1).ranges == std::vector<verity::BlockRange>{{0, 0}});
        auto lines = verity::describe_mismatches(check, "usr", "usr-verity", wrong);
        CHECK_THAT(lines.at(0), Contains("usr-verity: level 1 hash blocks 0-0 (bytes 4096-8191") &&
                                    Contains("do not match the root hash"));
        CHECK_THAT(lines.at(1), Contains("its hash tree has root hash " + root));
    }
    test::flip_byte(hash, 4 * 4096 + 40); // level 0, block 2: digests of data blocks 256-383
    {
        test::FileRegion d(data, "usr"), h(hash, "usr-verity");
        verity::TreeCheck check = verity::check_hash_tree(d.region, h.region, root);
        CHECK(check.data.ranges == std::vector<verity::BlockRange>{{257, 257}});
        CHECK(check.hash_levels.at(0).ranges == std::vector<verity::BlockRange>{{2, 2}});
        CHECK(check.root_matches);
    }
    test::FileRegion d(data, "usr"), not_hash(data, "usr-verity");
    CHECK_THROWS_WITH(verity::check_hash_tree(d.region, not_hash.region, root),
                      Contains("usr-verity: no dm-verity superblock"));
}
