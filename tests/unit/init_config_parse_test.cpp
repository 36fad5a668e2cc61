// lethe-init's pure parts: its config parser (against the builder's
// renderer), mount option splitting, and the tree and bind helpers on a
// temporary directory.

#include "initrd/init_config.hpp"
#include "initrd/failure.hpp"
#include "initrd/mount_options.hpp"
#include "initrd/persisted_paths.hpp"
#include "initrd/programs.hpp"
#include "initrd/tree_ops.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

using test::TempDir;
using test::write;

init::InitConfig sample_config() {
    init::InitConfig c;
    c.timeout_seconds = 12;
    c.rescue_delay_seconds = 7;
    c.rescue = "/usr/bin/sh";
    c.modules = {"/lib/modules/6.1/kernel/fs/erofs/erofs.ko", "/lib/modules/6.1/virtio blk.ko"};
    c.device_modules = {{"/lib/modules/6.1/virtio_pci.ko", {"pci:v00001AF4d*sv*sd*bc*sc*i*"}},
                        {"/lib/modules/6.1/sd_mod.ko", {"scsi:t_0x00*", "scsi:t_0x0[e ]*"}}};
    c.root_tmpfs_options = "size=67108864,mode=0755,nosuid,nodev";
    c.usr = {"PARTUUID=0b5e6c1a-1111-4222-8333-444455556666", "erofs"};
    c.persist = {"PARTLABEL=my persist#1", "ext4"};
    c.persist_mount = "/persist";
    c.fsck = "/usr/sbin/e2fsck";
    c.grow_persist = true;
    c.links = {{"bin", "usr/bin"}, {"lib64", "usr/lib64"}};
    c.factories = {{"/usr/share/factory/etc", "/etc"}, {"/usr/share/factory/var", "/var"}};
    c.directories = {{"/tmp", 01777}, {"/persist", 0755}};
    c.binds = {{"/srv/my data\\x", true, 1000, 1001, 0750}, {"/etc/machine-id", false, 0, 0, 0444}};
    c.init = "/usr/lib/systemd/systemd";
    return c;
}

std::string parse_error(const std::string& text) {
    try {
        init::parse_init_config(text);
    } catch (const init::Failure& error) {
        return error.what();
    }
    return "no error";
}

const std::string minimal = "root_tmpfs size=1\nusr PARTUUID=a erofs\npersist PARTUUID=b ext4 /persist\n";


std::string read(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

struct stat lstat_of(const fs::path& path) {
    struct stat info {};
    REQUIRE(lstat(path.c_str(), &info) == 0);
    return info;
}

} // namespace

TEST_CASE("lethe-init parses the config the builder renders", "[init]") {
    auto c = sample_config();
    init::InitConfig p = init::parse_init_config(init::render_init_config(c));
    CHECK(p == c); // the whole round trip; the checks below say what each field became
    CHECK(p.timeout_seconds == 12);
    CHECK(p.rescue_delay_seconds == 7);
    CHECK(p.rescue == "/usr/bin/sh");
    CHECK(p.modules == c.modules);
    REQUIRE(p.device_modules.size() == 2);
    CHECK(p.device_modules[0].path == "/lib/modules/6.1/virtio_pci.ko");
    CHECK(p.device_modules[0].patterns == std::vector<std::string>{"pci:v00001AF4d*sv*sd*bc*sc*i*"});
    CHECK(p.device_modules[1].patterns == std::vector<std::string>{"scsi:t_0x00*", "scsi:t_0x0[e ]*"});
    CHECK(p.root_tmpfs_options == c.root_tmpfs_options);
    CHECK(p.usr.tag == c.usr.tag);
    CHECK(p.usr.fstype == "erofs");
    CHECK(p.persist.tag == "PARTLABEL=my persist#1");
    CHECK(p.persist.fstype == "ext4");
    CHECK(p.persist_mount == "/persist");
    CHECK(p.fsck == "/usr/sbin/e2fsck");
    CHECK(p.grow_persist);
    REQUIRE(p.links.size() == 2);
    CHECK((p.links[1].name == "lib64" && p.links[1].target == "usr/lib64"));
    REQUIRE(p.factories.size() == 2);
    CHECK((p.factories[0].source == "/usr/share/factory/etc" && p.factories[0].destination == "/etc"));
    REQUIRE(p.directories.size() == 2);
    CHECK((p.directories[0].path == "/tmp" && p.directories[0].mode == 01777));
    REQUIRE(p.binds.size() == 2);
    CHECK(p.binds[0].directory);
    CHECK(p.binds[0].path == "/srv/my data\\x");
    CHECK((p.binds[0].uid == 1000 && p.binds[0].gid == 1001 && p.binds[0].mode == 0750));
    CHECK(!p.binds[1].directory);
    CHECK((p.binds[1].path == "/etc/machine-id" && p.binds[1].mode == 0444));
    CHECK(p.init == "/usr/lib/systemd/systemd");
}

TEST_CASE("lethe-init's config defaults and optional directives", "[init]") {
    init::InitConfig p = init::parse_init_config("# comment\n\n" + minimal + "   # indented comment\n");
    CHECK(p.timeout_seconds == 30);
    CHECK(p.rescue.empty());
    CHECK(p.fsck.empty());
    CHECK_FALSE(p.grow_persist);
    CHECK(p.modules.empty());
    CHECK(p.init == "/sbin/init");
}

TEST_CASE("lethe-init decodes octal escapes as in /proc/mounts", "[init]") {
    CHECK(init::unescape_field("a\\134b\\043c\\011d\\040e\\012") == "a\\b#c\td e\n");
    CHECK(init::unescape_field(init::escape_field("x y\t#\\\n")) == "x y\t#\\\n");
    CHECK(init::split_fields("link  a\\040b\tc # trailing comment") ==
          std::vector<std::string>{"link", "a b", "c"});
    CHECK_THROWS_WITH(init::unescape_field("a\\04"), Catch::Contains("bad escape"));
    CHECK_THROWS_WITH(init::unescape_field("a\\09x"), Catch::Contains("bad escape"));
    CHECK_THROWS_WITH(init::unescape_field("a\\400"), Catch::Contains("bad escape"));
}

TEST_CASE("lethe-init's config errors name the line", "[init]") {
    CHECK(parse_error(minimal + "frobnicate 1\n") == "init.conf:4: unknown directive 'frobnicate'");
    CHECK(parse_error("timeout\n" + minimal) == "init.conf:1: 'timeout' takes 1 field(s), not 0");
    CHECK(parse_error(minimal + "usr PARTUUID=a erofs extra\n") == "init.conf:4: 'usr' takes 2 field(s), not 3");
    CHECK(parse_error(minimal + "\nmkdir /tmp 1797\n") == "init.conf:5: bad mode '1797'");
    CHECK(parse_error(minimal + "module_if /m.ko\n") == "init.conf:4: 'module_if' takes at least 2 field(s), not 1");
    CHECK(parse_error(minimal + "grow_persist yes\n") == "init.conf:4: 'grow_persist' takes 0 field(s), not 1");
    CHECK(parse_error(minimal + "module_if m.ko virtio:*\n") == "init.conf:4: not an absolute path 'm.ko'");
    CHECK(parse_error("timeout soon\n" + minimal) == "init.conf:1: bad number of seconds 'soon'");
    CHECK(parse_error(minimal + "bind dir /a 0 x 0755\n") == "init.conf:4: bad gid 'x'");
    CHECK(parse_error(minimal + "bind link /a 0 0 0755\n") == "init.conf:4: bad bind kind 'link' (dir or file)");
    CHECK_THAT(parse_error("usr DEVICE=/dev/sda erofs\n"), Catch::StartsWith("init.conf:1: bad partition tag"));
    CHECK(parse_error("init sbin/init\n" + minimal) == "init.conf:1: not an absolute path 'sbin/init'");
    CHECK(parse_error(minimal + "module /a\\9.ko\n") == "init.conf:4: bad escape in '/a\\9.ko'");
    CHECK(parse_error("root_tmpfs size=1\nusr PARTUUID=a erofs\n") == "init.conf: missing 'persist'");
}

TEST_CASE("lethe-init splits mount options into flags and data", "[init]") {
    auto split = init::split_mount_options("size=64M,mode=0755,nosuid,nodev");
    CHECK(split.flags == (MS_NOSUID | MS_NODEV));
    CHECK(split.data == "size=64M,mode=0755");
    auto more = init::split_mount_options("ro,noexec,,nr_inodes=1k,rw,noatime,defaults");
    CHECK(more.flags == (MS_NOEXEC | MS_NOATIME));
    CHECK(more.data == "nr_inodes=1k");
    CHECK(init::split_mount_options("").flags == 0);
}

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

TEST_CASE("lethe-init runs programs and reports why one cannot start", "[init]") {
    CHECK(init::run_program({"/bin/sh", "-c", "exit 3"}) == 3);
    CHECK(init::run_program({"/bin/sh", "-c", "kill -TERM $$"}) == 128 + SIGTERM);
    CHECK_THROWS_WITH(init::run_program({"/nonexistent/e2fsck", "-p"}),
                      "cannot run '/nonexistent/e2fsck': No such file or directory");
}
