// lethe-init's tree operations on a temporary directory: the factory copy
// and deleting the initrd's contents.

#include "initrd/failure.hpp"
#include "initrd/tree_ops.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;
using test::TempDir;
using test::write;
using test::read;
#include <fcntl.h>
using test::lstat_of;

TEST_CASE("lethe-init copies a tree with modes, owners, links and times", "[init]") {
    TempDir tmp;
    fs::path src = tmp.path / "factory", dst = tmp.path / "root" / "etc";
    fs::create_directories(src / "ssh" / "deep");
    fs::create_directories(tmp.path / "root");
    write(src / "hostname", "lethe\n");
    write(src / "ssh" / "deep" / "secret", "key");
    REQUIRE(chmod((src / "ssh" / "deep" / "secret").c_str(), 0600) == 0);
    REQUIRE(chmod((src / "ssh").c_str(), 0750) == 0);
    REQUIRE(symlink("../run/resolv.conf", (src / "resolv.conf").c_str()) == 0);
    REQUIRE(mkfifo((src / "fifo").c_str(), 0640) == 0);
    bool root = geteuid() == 0;
    if (root) REQUIRE(lchown((src / "ssh" / "deep" / "secret").c_str(), 1234, 5678) == 0);
    if (root) REQUIRE(lchown((src / "resolv.conf").c_str(), 4321, 8765) == 0);
    const timespec old_times[2] = {{1000000000, 0}, {1234567890, 500}};
    REQUIRE(utimensat(AT_FDCWD, (src / "hostname").c_str(), old_times, 0) == 0);
    REQUIRE(utimensat(AT_FDCWD, (src / "ssh").c_str(), old_times, 0) == 0);
    REQUIRE(utimensat(AT_FDCWD, (src / "resolv.conf").c_str(), old_times, AT_SYMLINK_NOFOLLOW) == 0);
    write(tmp.path / "root" / "stale", "");

    init::copy_tree(src.string(), dst.string());

    CHECK(read(dst / "hostname") == "lethe\n");
    CHECK(read(dst / "ssh" / "deep" / "secret") == "key");
    CHECK((lstat_of(dst / "ssh" / "deep" / "secret").st_mode & 07777) == 0600);
    CHECK((lstat_of(dst / "ssh").st_mode & 07777) == 0750);
    CHECK(lstat_of(dst / "hostname").st_mtim.tv_sec == 1234567890);
    CHECK(lstat_of(dst / "ssh").st_mtim.tv_sec == 1234567890);
    CHECK(lstat_of(dst / "ssh").st_mtim.tv_nsec == 500);
    CHECK(fs::is_symlink(dst / "resolv.conf"));
    CHECK(fs::read_symlink(dst / "resolv.conf") == "../run/resolv.conf");
    CHECK(lstat_of(dst / "resolv.conf").st_mtim.tv_sec == 1234567890);
    CHECK(S_ISFIFO(lstat_of(dst / "fifo").st_mode));
    CHECK((lstat_of(dst / "fifo").st_mode & 07777) == 0640);
    if (root) {
        CHECK(lstat_of(dst / "ssh" / "deep" / "secret").st_uid == 1234);
        CHECK(lstat_of(dst / "ssh" / "deep" / "secret").st_gid == 5678);
        CHECK(lstat_of(dst / "resolv.conf").st_uid == 4321);
    }

    write(src / "hostname", "again\n"); // a second copy replaces files
    init::copy_tree(src.string(), dst.string());
    CHECK(read(dst / "hostname") == "again\n");
    CHECK_THROWS_WITH(init::copy_tree((tmp.path / "absent").string(), dst.string()),
                      Catch::Contains("cannot open '" + (tmp.path / "absent").string() + "': No such file"));
}

TEST_CASE("lethe-init deletes a tree's contents but keeps the directory", "[init]") {
    TempDir tmp;
    fs::create_directories(tmp.path / "a" / "b" / "c");
    write(tmp.path / "a" / "b" / "file", "x");
    REQUIRE(symlink("/nonexistent", (tmp.path / "link").c_str()) == 0);
    init::remove_tree_contents(tmp.path.string());
    CHECK(fs::exists(tmp.path));
    CHECK(fs::is_empty(tmp.path));
}

