#include "initrd/init_config.hpp"

#include <catch2/catch.hpp>

using namespace lethe;

TEST_CASE("lethe-init's config is rendered field by field, escaped", "[initrd]") {
    initrd::InitConfig c;
    c.timeout_seconds = 12;
    c.modules = {"/lib/modules/6.1/kernel/fs/erofs/erofs.ko"};
    c.root_tmpfs_options = "size=67108864,mode=0755,nosuid";
    c.usr_tag = "PARTUUID=aaaa";
    c.usr_fstype = "erofs";
    c.persist_tag = "PARTUUID=bbbb";
    c.persist_fstype = "ext4";
    c.persist_mount = "/persist";
    c.fsck = "/usr/sbin/e2fsck";
    c.links = {{"bin", "usr/bin"}};
    c.factory = {{"/usr/share/factory/etc", "/etc"}};
    c.directories = {{"/tmp", 01777}};
    c.binds = {{"/srv/my data", true, 1000, 1000, 0750}, {"/etc/machine-id", false, 0, 0, 0444}};
    std::string text = initrd::render_init_config(c);
    CHECK_THAT(text, Catch::Contains("timeout 12\nrescue_delay 30\nmodule /lib/modules/6.1/kernel/fs/erofs/erofs.ko\n"));
    CHECK_THAT(text, Catch::Contains("root_tmpfs size=67108864,mode=0755,nosuid\nusr PARTUUID=aaaa erofs\n"
                                     "persist PARTUUID=bbbb ext4 /persist\nfsck /usr/sbin/e2fsck\nlink bin usr/bin\n"
                                     "factory /usr/share/factory/etc /etc\nmkdir /tmp 1777\n"));
    CHECK_THAT(text, Catch::Contains("bind dir /srv/my\\040data 1000 1000 0750\nbind file /etc/machine-id 0 0 0444\ninit /sbin/init\n"));
    CHECK_THAT(text, !Catch::Contains("rescue "));
    CHECK(initrd::escape_field("a\\b#c\td") == "a\\134b\\043c\\011d");
}
