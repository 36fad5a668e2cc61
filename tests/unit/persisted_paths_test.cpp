// lethe-init's persisted paths: what it makes before bind-mounting them.

#include "initrd/failure.hpp"
#include "initrd/persisted_paths.hpp"

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
using test::lstat_of;

TEST_CASE("lethe-init prepares persisted paths for bind mounts", "[init]") {
    TempDir tmp;
    std::string root = (tmp.path / "newroot").string(), persist = (tmp.path / "newroot" / "persist").string();
    fs::create_directories(persist);
    auto mount = init::prepare_bind(root, persist, {"/var/lib/app", true, 1000, 1001, 0750});
    CHECK(mount.source == persist + "/var/lib/app");
    CHECK(mount.target == root + "/var/lib/app");
    struct stat source = lstat_of(mount.source);
    CHECK(S_ISDIR(source.st_mode));
    CHECK((source.st_mode & 07777) == 0750);
    CHECK((lstat_of(persist + "/var").st_mode & 07777) == 0755);
    if (geteuid() == 0) CHECK((source.st_uid == 1000 && source.st_gid == 1001));
    CHECK(fs::is_directory(mount.target));

    write(persist + "/var/lib/app/kept", "data"); // an existing source is left alone
    init::prepare_bind(root, persist, {"/var/lib/app", true, 0, 0, 0700});
    CHECK(read(persist + "/var/lib/app/kept") == "data");
    CHECK((lstat_of(mount.source).st_mode & 07777) == 0750);

    auto file = init::prepare_bind(root, persist, {"/etc/machine-id", false, 0, 0, 0444});
    CHECK(fs::is_regular_file(file.source));
    CHECK((lstat_of(file.source).st_mode & 07777) == 0444);
    CHECK(fs::is_regular_file(file.target));

    CHECK_THROWS_WITH(init::prepare_bind(root, persist, {"/var/lib/app", false, 0, 0, 0644}),
                      Catch::Contains("is persisted as a file but is a directory"));
}

