#include "stage/tree_root.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <functional>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

using namespace lethe;
using stage::Follow;
using stage::TreeRoot;
namespace fs = std::filesystem;

namespace {

using test::TempDir;
using test::write;

// A tree beside a "host" directory that its links aim at.
struct Fixture {
    TempDir tmp;
    fs::path tree = tmp.path / "tree", host = tmp.path / "host";
    Fixture() {
        fs::create_directories(tree / "etc");
        write(host / "passwd", "host secret\n");
        write(tree / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    }
    // Every file below the host directory, with its content.
    std::map<std::string, std::string> host_files() const {
        std::map<std::string, std::string> files;
        for (const auto& entry : fs::recursive_directory_iterator(host))
            if (entry.is_regular_file())
                files[entry.path().lexically_relative(host).string()] = read_file(entry.path());
        return files;
    }
};

// The message of the lethe::Error `action` throws, which must carry exit status 2.
std::string input_error(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        return e.what();
    }
    FAIL("no error");
    return {};
}

} // namespace

TEST_CASE("an absolute link resolves inside the tree, as in the booted image", "[tree_root]") {
    Fixture f;
    fs::create_symlink(f.host, f.tree / "var"); // "/tmp/.../host", as the rootfs spells it
    fs::create_directories(f.tree / f.host.relative_path()); // the same path inside the tree
    write(f.tree / f.host.relative_path() / "passwd", "in the tree\n");
    TreeRoot root(f.tree);
    CHECK(root.read("/var/passwd") == "in the tree\n");
    root.write_atomic("/var/new", "x", 0644);
    CHECK(fs::exists(f.tree / f.host.relative_path() / "new"));
    CHECK(f.host_files() == std::map<std::string, std::string>{{"passwd", "host secret\n"}});
}

TEST_CASE("a relative link with too many '..' stops at the tree's top", "[tree_root]") {
    Fixture f;
    fs::create_directories(f.tree / "usr/lib");
    fs::create_symlink("../../../../../../../../../../etc", f.tree / "usr/lib/etc");
    TreeRoot root(f.tree);
    CHECK(root.read("usr/lib/etc/passwd") == "root:x:0:0::/root:/bin/sh\n");
    CHECK(root.host_path("usr/lib/etc/passwd") == fs::canonical(f.tree / "etc/passwd"));
}

TEST_CASE("links to links are followed inside the tree, a loop is refused naming it",
          "[tree_root]") {
    Fixture f;
    fs::create_symlink("/etc", f.tree / "one");
    fs::create_symlink("one", f.tree / "two");
    TreeRoot root(f.tree);
    CHECK(root.read("two/passwd") == "root:x:0:0::/root:/bin/sh\n");
    fs::create_symlink("b", f.tree / "a");
    fs::create_symlink("/a", f.tree / "b");
    std::string message = input_error([&] { root.read("a/passwd"); });
    CHECK_THAT(message, Catch::Contains("'/a' is a symlink to 'b', a loop"));
}

TEST_CASE("a link that leads nowhere inside the tree is refused, naming it", "[tree_root]") {
    Fixture f;
    fs::create_directories(f.tree / "etc/systemd");
    fs::create_symlink(f.host, f.tree / "etc/systemd/system");
    TreeRoot root(f.tree);
    CHECK_FALSE(root.read("etc/systemd/system/passwd"));
    std::string message =
        input_error([&] { root.make_directories("/etc/systemd/system/multi-user.target.wants"); });
    CHECK_THAT(message,
               Catch::Contains("'/etc/systemd/system' is a symlink to '" + f.host.string() +
                               "', which leads nowhere inside the rootfs"));
    CHECK(f.host_files().size() == 1);
    CHECK_FALSE(fs::exists(f.host / "multi-user.target.wants"));
}

TEST_CASE("Follow::never refuses any link on the way", "[tree_root]") {
    Fixture f;
    fs::create_directories(f.tree / "srv/lib");
    fs::create_symlink("srv", f.tree / "var");
    fs::create_directories(f.tmp.path / "other");
    TreeRoot root(f.tree), other(f.tmp.path / "other");
    std::string message =
        input_error([&] { stage::move_between(root, "/var/lib", other, "/lib", Follow::never); });
    CHECK_THAT(message, Catch::Contains("'/var' is a symlink to 'srv'") &&
                            Catch::Contains("follows no link"));
    CHECK(fs::is_directory(f.tree / "srv/lib"));
    stage::move_between(root, "/srv/lib", other, "/lib", Follow::never);
    CHECK(fs::is_directory(f.tmp.path / "other/lib"));
}

TEST_CASE("operations on an entry act on a link itself, never on its target", "[tree_root]") {
    Fixture f;
    fs::create_symlink("/etc/passwd", f.tree / "etc/machine-id");
    fs::create_symlink(f.host / "passwd", f.tree / "etc/hostname");
    TreeRoot root(f.tree);
    CHECK(root.read_link("etc/machine-id") == "/etc/passwd");
    CHECK(S_ISLNK(root.lstat("etc/machine-id")->st_mode));
    CHECK(S_ISREG(root.stat("etc/machine-id")->st_mode));
    CHECK_FALSE(root.stat("etc/hostname")); // the host's file is not the image's
    root.write_atomic("etc/machine-id", "uninitialized\n", 0444);
    CHECK_FALSE(fs::is_symlink(f.tree / "etc/machine-id"));
    CHECK(read_file(f.tree / "etc/passwd") == "root:x:0:0::/root:/bin/sh\n");
    root.set_times("etc/hostname", 0);
    root.remove("etc/hostname");
    CHECK_FALSE(fs::exists(fs::symlink_status(f.tree / "etc/hostname")));
    CHECK(f.host_files().size() == 1);
}

TEST_CASE("remove_all removes a tree without following the links in it", "[tree_root]") {
    Fixture f;
    fs::create_directories(f.tree / "var/log/sub");
    fs::create_symlink(f.host, f.tree / "var/log/host");
    fs::create_symlink("../../../../../../../..", f.tree / "var/log/sub/up");
    TreeRoot root(f.tree);
    root.remove_all("var/log");
    CHECK_FALSE(fs::exists(f.tree / "var/log"));
    CHECK(f.host_files().size() == 1);
    root.remove_all("var/missing"); // missing is fine
}

TEST_CASE("make_directories makes exact modes and times; list is sorted", "[tree_root]") {
    Fixture f;
    TreeRoot root(f.tree);
    mode_t old = umask(077);
    root.make_directories("/usr/share/factory", 0755, 42);
    umask(old);
    struct stat st {};
    REQUIRE(::stat((f.tree / "usr/share").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    REQUIRE(::stat((f.tree / "usr/share/factory").c_str(), &st) == 0); // its parent's time moved on
    CHECK(st.st_mtime == 42);
    root.write_atomic("usr/b", "", 0644);
    root.symlink("/usr/b", "usr/a");
    CHECK(root.list("/usr") == std::vector<std::string>{"a", "b", "share"});
    CHECK(root.is_directory("usr/share"));
    CHECK_FALSE(root.is_directory("usr/b"));
    CHECK(root.is_regular_file("usr/a"));
}

TEST_CASE("reading refuses what is not a regular file without opening it", "[tree_root]") {
    Fixture f;
    REQUIRE(mkfifo((f.tree / "etc/group").c_str(), 0644) == 0); // opening it would block
    TreeRoot root(f.tree);
    CHECK_THAT(input_error([&] { root.read("etc/group"); }), Catch::Contains("not a regular file"));
    CHECK_THAT(input_error([&] { root.read("etc"); }), Catch::Contains("'/etc' in the rootfs"));
}

TEST_CASE("a file where a directory is expected is refused as input", "[tree_root]") {
    Fixture f;
    TreeRoot root(f.tree);
    CHECK_THAT(input_error([&] { root.make_directories("etc/passwd/x"); }),
               Catch::Contains("not a directory"));
}
