// Where the staged trees go: a directory of lethe's own on a tmpfs with
// room, the work directory otherwise; killed builds' leftovers are removed
// only when their marker names a process that is gone.

#include "outputs/tree_space.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t MiB = 1024 * 1024;

bool shm_is_tmpfs() {
    struct statfs st {};
    return statfs("/dev/shm", &st) == 0 && st.f_type == TMPFS_MAGIC;
}

pid_t dead_pid() {
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    return child;
}

} // namespace

TEST_CASE("trees go to a tmpfs only with room for the tree, its images and a margin", "[outputs]") {
    CHECK(outputs::has_room_for_trees(2 * (400 + 256) * MiB, 400 * MiB));
    CHECK_FALSE(outputs::has_room_for_trees(2 * (400 + 256) * MiB - 1, 400 * MiB));
    CHECK_FALSE(outputs::has_room_for_trees(UINT64_MAX, 0)); // unknown size: stay on disk
}

TEST_CASE("a rootfs is estimated from its files or its archive", "[outputs]") {
    test::TempDir dir;
    test::write(dir.path / "tree/a", std::string(10000, 'x'));
    CHECK(outputs::rootfs_estimate(dir.path / "tree", true) >= 10000);
    test::write(dir.path / "tree/b", "y");
    REQUIRE(system(("tar -C " + (dir.path / "tree").string() + " -cf " + (dir.path / "r.tar").string() + " . && " +
                    "gzip -k " + (dir.path / "r.tar").string()).c_str()) == 0);
    CHECK(outputs::rootfs_estimate(dir.path / "r.tar", false) == fs::file_size(dir.path / "r.tar"));
    CHECK(outputs::rootfs_estimate(dir.path / "r.tar.gz", false) == 5 * fs::file_size(dir.path / "r.tar.gz"));
    CHECK(outputs::rootfs_estimate(dir.path / "missing.tar", false) == 0);
}

TEST_CASE("the trees stay in the work directory where no tmpfs takes them", "[outputs]") {
    test::TempDir dir;
    outputs::TreeSpace on_disk(dir.path / "work", 100 * MiB, dir.path); // not a tmpfs (or /tmp is one: then ours)
    if (!on_disk.on_tmpfs()) CHECK(on_disk.path() == dir.path / "work");
    outputs::TreeSpace unknown(dir.path / "work", 0);
    CHECK_FALSE(unknown.on_tmpfs());
    CHECK(unknown.path() == dir.path / "work");
}

TEST_CASE("trees on /dev/shm are lethe's and removed after the build", "[outputs]") {
    if (!shm_is_tmpfs()) {
        WARN("skipped: /dev/shm is not a tmpfs");
        return;
    }
    test::TempDir dir;
    fs::path made;
    {
        outputs::TreeSpace space(dir.path, 1 * MiB);
        if (!space.on_tmpfs()) {
        WARN("skipped: /dev/shm is full or keeps no user.* xattrs");
        return;
    }
        made = space.path();
        CHECK(made.parent_path() == "/dev/shm");
        CHECK(fs::is_regular_file(made / outputs::tree_marker));
        test::write(made / "rootfs/etc/hostname", "x");
    }
    CHECK_FALSE(fs::exists(made));
}

TEST_CASE("a killed build's trees are removed; others' files are not", "[outputs]") {
    if (!shm_is_tmpfs()) {
        WARN("skipped: /dev/shm is not a tmpfs");
        return;
    }
    fs::path abandoned = "/dev/shm/lethe-trees-testdead", alive = "/dev/shm/lethe-trees-testlive",
             foreign = "/dev/shm/lethe-trees-testforeign";
    std::string line = "lethe trees: lethe removes them after the build; pid ";
    test::write(abandoned / outputs::tree_marker, line + std::to_string(dead_pid()) + "\n");
    test::write(abandoned / "rootfs/x", "x");
    test::write(alive / outputs::tree_marker, line + std::to_string(getpid()) + "\n");
    test::write(foreign / "notes.txt", "someone else's");
    {
        test::TempDir dir;
        outputs::TreeSpace space(dir.path, 1 * MiB);
    }
    CHECK_FALSE(fs::exists(abandoned));
    CHECK(fs::exists(alive / outputs::tree_marker));
    CHECK(test::read(foreign / "notes.txt") == "someone else's");
    fs::remove_all(alive);
    fs::remove_all(foreign);
}
