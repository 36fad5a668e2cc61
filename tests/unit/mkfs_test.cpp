#include "exec/command_runner.hpp"
#include "mkfs/ext4_times.hpp"
#include "mkfs/make_filesystem.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <deque>
#include <filesystem>

using namespace lethe;
namespace stdfs = std::filesystem;

namespace {

using test::TempDir;
using test::write;

// Header and group lines as dumpe2fs 1.47.0 prints them; group 0 has a hole
// (inode 15 freed) and group 1 is full.
const char* const dumpe2fs_sample = R"(Filesystem volume name:   persist
Inode count:              48
First inode:              11
Free inodes:              29


Group 0: (Blocks 0-32767) csum 0x21e4
  Inode table at 37-2084 (+37)
  28620 free blocks, 11 free inodes, 9 directories, 11 unused inodes
  Free blocks: 4148-32767
  Free inodes: 15, 17-16
  Free inodes: 19-24
Group 1: (Blocks 32768-65535) csum 0xb486
  Free blocks: 36897-65535
  Free inodes: 
Group 2: (Blocks 65536-98303) csum 0xb486 [INODE_UNINIT]
  Free inodes: 33-40, 42-48
)";

// Answers each command with the next canned output, and records them.
class ScriptedRunner final : public exec::CommandRunner {
public:
    std::string run(const exec::Command& command) override {
        commands.push_back(command);
        if (command.argv.size() > 3 && command.argv[0] == "debugfs") scripts.push_back(read_file(command.argv[3]));
        std::string out = outputs.empty() ? "" : outputs.front();
        if (!outputs.empty()) outputs.pop_front();
        return out;
    }
    std::deque<std::string> outputs;
    std::vector<exec::Command> commands;
    std::vector<std::string> scripts; // debugfs scripts, read while they exist
};

std::vector<std::string> env_of(const exec::Command& c, const std::string& key) {
    auto it = c.env.find(key);
    return it == c.env.end() ? std::vector<std::string>{} : std::vector<std::string>{it->second};
}

} // namespace

TEST_CASE("inodes_with_file_times: root and the used inodes from the first non-reserved one", "[fs]") {
    // 16 is in "17-16" (an empty range): used. 25-32 used (group 1 full), 41 used.
    std::vector<uint32_t> expected{2, 11, 12, 13, 14, 16, 17, 18, 25, 26, 27, 28, 29, 30, 31, 32, 41};
    CHECK(mkfs::inodes_with_file_times(dumpe2fs_sample) == expected);
}

TEST_CASE("inodes_with_file_times refuses output it cannot read", "[fs]") {
    CHECK_THROWS_WITH(mkfs::inodes_with_file_times("Inode count: 40\n"), Catch::Contains("First inode"));
    CHECK_THROWS_WITH(mkfs::inodes_with_file_times("Inode count: 40\nFirst inode: 11\n  Free inodes: 12-x\n"),
                      Catch::Contains("'  Free inodes: 12-x'"));
}

TEST_CASE("reset_times_script clears each time's extra field, then sets the time", "[fs]") {
    std::string expected = "sif <2> atime_extra 0\nsif <2> atime @1700000000\n"
                           "sif <2> ctime_extra 0\nsif <2> ctime @1700000000\n"
                           "sif <2> mtime_extra 0\nsif <2> mtime @1700000000\n"
                           "sif <2> crtime_extra 0\nsif <2> crtime @1700000000\n";
    CHECK(mkfs::reset_times_script({2}, 1700000000) == expected);
    CHECK(mkfs::reset_times_script({2, 12}, 5).find("sif <12> crtime @5\n") != std::string::npos);
}

TEST_CASE("debugfs_errors keeps what is neither an echoed command nor the banner", "[fs]") {
    std::string output = "debugfs 1.47.0 (5-Feb-2023)\ndebugfs: sif <12> atime @1\n"
                         "<99999>: File not found by ext2_lookup \ndebugfs: sif <13> atime @1\n"
                         "sif: Filesystem not open\n";
    CHECK(mkfs::debugfs_errors(output) ==
          std::vector<std::string>{"<99999>: File not found by ext2_lookup ", "sif: Filesystem not open"});
    CHECK(mkfs::debugfs_errors("debugfs 1.47.0 (5-Feb-2023)\ndebugfs: sif <2> atime @1\n").empty());
}

TEST_CASE("make_filesystem resets the inode times of an ext4 made from a tree", "[fs]") {
    TempDir dir;
    mkfs::FilesystemJob job{"ext4", "persist", "c2e1b7c3-c93c-4201-949c-cf26bb1bc538", "", dir.path / "tree",
                          dir.path / "persist.img", 64ull << 20, 1700000000};
    ScriptedRunner runner;
    runner.outputs = {"", dumpe2fs_sample, "debugfs 1.47.0 (5-Feb-2023)\n"};
    mkfs::make_filesystem(job, runner);
    REQUIRE(runner.commands.size() == 3);
    CHECK(runner.commands[0].argv[0] == "mke2fs");
    CHECK(runner.commands[1].argv == std::vector<std::string>{"dumpe2fs", job.image.string()});
    const auto& fix = runner.commands[2];
    CHECK((fix.argv[0] == "debugfs" && fix.argv[1] == "-w" && fix.argv[2] == "-f"));
    CHECK(fix.argv[4] == job.image.string());
    CHECK(fix.merge_stderr); // debugfs reports failed requests on stderr
    CHECK(env_of(fix, "E2FSPROGS_FAKE_TIME") == std::vector<std::string>{"1700000000"});
    REQUIRE(runner.scripts.size() == 1);
    CHECK(runner.scripts[0] == mkfs::reset_times_script(mkfs::inodes_with_file_times(dumpe2fs_sample), 1700000000));
    CHECK_FALSE(stdfs::exists(fix.argv[3])); // the script is removed

    SECTION("an empty ext4 needs no fix-up") {
        job.source.clear();
        ScriptedRunner empty;
        mkfs::make_filesystem(job, empty);
        CHECK(empty.commands.size() == 1);
    }
    SECTION("an error reported by debugfs fails the build") {
        ScriptedRunner failing;
        failing.outputs = {"", dumpe2fs_sample, "sif: Filesystem not open\nsif: Filesystem not open\n"};
        CHECK_THROWS_WITH(mkfs::make_filesystem(job, failing),
                          Catch::Contains("persist.img") && Catch::Contains("Filesystem not open (and 1 more"));
    }
}

TEST_CASE("vfat: the volume id survives --invariant, copies are sorted and stamped with the epoch", "[fs]") {
    TempDir dir;
    write(dir.path / "src/z.txt", "z");
    write(dir.path / "src/EFI/BOOT/b.efi", "b");
    write(dir.path / "src/EFI/BOOT/a.efi", "a");
    write(dir.path / "src/EFI/c.txt", "c");
    mkfs::FilesystemJob job{"vfat", "ESP", "499b5caf-7a37-43be-bdc3-4942e1dc3c7f", "", dir.path / "src",
                          dir.path / "esp.img", 32ull << 20, 1700000000};
    auto commands = mkfs::mkfs_commands(job);
    REQUIRE(commands.size() == 5);
    const auto& mkfs = commands[0].argv;
    auto invariant = std::find(mkfs.begin(), mkfs.end(), "--invariant");
    auto id = std::find(mkfs.begin(), mkfs.end(), "-i");
    REQUIRE((invariant != mkfs.end() && id != mkfs.end()));
    CHECK(invariant < id);
    CHECK(*(id + 1) == "499b5caf");
    CHECK(commands[1].argv == std::vector<std::string>{"mmd", "-i", job.image.string(), "::/EFI", "::/EFI/BOOT"});
    std::string src = (dir.path / "src").string();
    CHECK(commands[2].argv == std::vector<std::string>{"mcopy", "-p", "-i", job.image.string(), src + "/z.txt", "::/"});
    CHECK(commands[3].argv == std::vector<std::string>{"mcopy", "-p", "-i", job.image.string(), src + "/EFI/c.txt",
                                                       "::/EFI"});
    CHECK(commands[4].argv == std::vector<std::string>{"mcopy", "-p", "-i", job.image.string(),
                                                       src + "/EFI/BOOT/a.efi", src + "/EFI/BOOT/b.efi", "::/EFI/BOOT"});
    for (size_t i = 1; i < commands.size(); ++i)
        CHECK(env_of(commands[i], "SOURCE_DATE_EPOCH") == std::vector<std::string>{"1700000000"});
}

TEST_CASE("ext4 from the same tree at another time is the same bytes (real mke2fs, debugfs)", "[fs]") {
    REQUIRE(exec::tool_exists("mke2fs"));
    REQUIRE(exec::tool_exists("debugfs"));
    TempDir dir;
    exec::SystemRunner runner;
    auto make = [&](const std::string& name, int64_t source_time) {
        stdfs::remove_all(dir.path / "tree");
        write(dir.path / "tree/var/lib/app/seed", "seed\n");
        write(dir.path / "tree/etc/machine-id", "uninitialized\n");
        for (const char* p : {"tree/var/lib/app/seed", "tree/var/lib/app", "tree/var/lib", "tree/var", "tree/etc/machine-id",
                              "tree/etc", "tree"}) {
            struct timespec times[2] = {{source_time, 0}, {source_time, 123}};
            REQUIRE(utimensat(AT_FDCWD, (dir.path / p).c_str(), times, 0) == 0);
        }
        mkfs::FilesystemJob job{"ext4", "persist", "c2e1b7c3-c93c-4201-949c-cf26bb1bc538", "", dir.path / "tree",
                              dir.path / name, 16ull << 20, 1700000000};
        mkfs::make_filesystem(job, runner);
        return sha256_file(job.image);
    };
    CHECK(make("a.img", 1000000000) == make("b.img", 1600000000));
}

TEST_CASE("erofs and squashfs run without SOURCE_DATE_EPOCH, which would only clamp times", "[fs]") {
    for (const char* type : {"erofs", "squashfs"}) {
        mkfs::FilesystemJob job{type, "usr", "499b5caf-7a37-43be-bdc3-4942e1dc3c7f", "", "/tree", "/usr.img", 0,
                              1700000000};
        auto commands = mkfs::mkfs_commands(job);
        REQUIRE(commands.size() == 1);
        const auto& argv = commands[0].argv;
        REQUIRE(argv.size() > 4);
        CHECK(std::vector<std::string>(argv.begin(), argv.begin() + 4) ==
              std::vector<std::string>{"env", "-u", "SOURCE_DATE_EPOCH", type == std::string("erofs") ? "mkfs.erofs"
                                                                                                    : "mksquashfs"});
        CHECK(commands[0].env.count("SOURCE_DATE_EPOCH") == 0);
        bool has_epoch = std::find(argv.begin(), argv.end(), "-T1700000000") != argv.end() ||
                         std::find(argv.begin(), argv.end(), "-all-time") != argv.end();
        CHECK(has_epoch);
    }
}

TEST_CASE("vfat from the same tree made in another order is the same bytes (real mkfs.vfat, mtools)", "[fs]") {
    REQUIRE(exec::tool_exists("mkfs.vfat"));
    REQUIRE(exec::tool_exists("mcopy"));
    // On tmpfs, readdir gives creation order (ext4 gives hash order whatever
    // the creation order), so the two trees below differ to a naive copy.
    if (stdfs::is_directory("/dev/shm")) setenv("TMPDIR", "/dev/shm", 1);
    TempDir dir;
    unsetenv("TMPDIR");
    exec::SystemRunner runner;
    auto make = [&](const std::string& name, const std::vector<std::string>& order) {
        stdfs::remove_all(dir.path / "src");
        for (const auto& file : order) write(dir.path / "src/EFI/BOOT" / file, file + "\n");
        mkfs::FilesystemJob job{"vfat", "ESP", "499b5caf-7a37-43be-bdc3-4942e1dc3c7f", "", dir.path / "src",
                              dir.path / name, 32ull << 20, 1700000000};
        mkfs::make_filesystem(job, runner);
        return sha256_file(job.image);
    };
    CHECK(make("a.img", {"a.efi", "b.efi", "c.efi"}) == make("b.img", {"c.efi", "b.efi", "a.efi"}));
    std::string listing = runner.run({{"mdir", "-b", "-/", "-i", (dir.path / "a.img").string(), "::/"},
                                      {{"MTOOLS_SKIP_CHECK", "1"}}});
    CHECK_THAT(listing, Catch::Contains("::/EFI/BOOT/b.efi"));
}

TEST_CASE("erofs runs in its tree, so deep paths fit; a 255-byte name is refused up front", "[fs]") {
    mkfs::FilesystemJob job{"erofs", "usr", "499b5caf-7a37-43be-bdc3-4942e1dc3c7f", "lz4hc", "/tree", "/usr.img", 0, 0};
    auto commands = mkfs::mkfs_commands(job);
    REQUIRE(commands.size() == 1);
    CHECK(commands[0].cwd == "/tree");
    CHECK(commands[0].argv.back() == ".");
    CHECK(commands[0].argv[commands[0].argv.size() - 2] == "/usr.img");

    TempDir tmp;
    stdfs::path tree = tmp.path / "tree";
    write(tree / std::string(254, 'n'), "fits\n");
    CHECK_NOTHROW(mkfs::check_erofs_tree(tree));
    write(tree / "share" / std::string(255, 'n'), "too long for mkfs.erofs 1.5\n");
    CHECK_THAT(test::bad_input_of([&] { mkfs::check_erofs_tree(tree); }),
               Catch::Contains("has a name of 255 bytes, which mkfs.erofs 1.5") && Catch::Contains("share/nnn"));

    if (!exec::tool_exists("mkfs.erofs")) return;
    stdfs::path deep = tmp.path / "deep", dir = deep;
    for (int i = 0; i < 40; ++i) dir /= std::string(100, 'd'); // 4040 bytes below the tree
    write(dir / "f", "deep\n");
    exec::SystemRunner runner;
    mkfs::FilesystemJob real{"erofs", "usr", "499b5caf-7a37-43be-bdc3-4942e1dc3c7f", "", deep, tmp.path / "deep.img",
                             0, 0};
    mkfs::make_filesystem(real, runner);
    CHECK(stdfs::file_size(tmp.path / "deep.img") > 0);
}
