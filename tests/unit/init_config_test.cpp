// /lethe/init.conf (initrd/init_config): rendered field by field, parsed
// back to the same value, escapes, defaults, and errors that name the line.

#include "initrd/failure.hpp"
#include "initrd/init_config.hpp"

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

namespace {

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
    // Found by the fuzzer (tests/fuzz/regressions/init_config-five-digit-mode):
    // 017777 parsed, then rendered as four digits, 7777, a different mode.
    CHECK(parse_error(minimal + "bind dir /a 0 0 17777\n") ==
          "init.conf:4: bad mode '17777' (at most four octal digits)");
    CHECK(parse_error(test::read(test::source_dir() / "tests/fuzz/regressions/init_config-five-digit-mode")) ==
          "init.conf:4: bad mode '17777' (at most four octal digits)");
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

