// What lethe-init must do for a plan (builder/initramfs/init_config).

#include "initramfs/init_config.hpp"

#include <catch2/catch.hpp>

using namespace lethe;

TEST_CASE("lethe-init's config is rendered field by field, escaped", "[initrd]") {
    init::InitConfig c;
    c.timeout_seconds = 12;
    c.modules = {"/lib/modules/6.1/kernel/fs/erofs/erofs.ko"};
    c.device_modules = {{"/lib/modules/6.1/virtio_blk.ko", {"virtio:d00000002v*", "pci:v 1#"}}};
    c.root_tmpfs_options = "size=67108864,mode=0755,nosuid";
    c.usr = {"PARTUUID=aaaa", "erofs"};
    c.persist = {"PARTUUID=bbbb", "ext4"};
    c.persist_mount = "/persist";
    c.fsck = "/usr/sbin/e2fsck";
    c.links = {{"bin", "usr/bin"}};
    c.factories = {{"/usr/share/factory/etc", "/etc"}};
    c.directories = {{"/tmp", 01777}};
    c.binds = {{"/srv/my data", true, 1000, 1000, 0750}, {"/etc/machine-id", false, 0, 0, 0444}};
    std::string text = init::render_init_config(c);
    CHECK_THAT(text, Catch::Contains("timeout 12\nrescue_delay 30\nmodule /lib/modules/6.1/kernel/fs/erofs/erofs.ko\n"));
    CHECK_THAT(text, Catch::Contains("erofs.ko\nmodule_if /lib/modules/6.1/virtio_blk.ko virtio:d00000002v* pci:v\\0401\\043\n"
                                     "root_tmpfs"));
    CHECK_THAT(text, Catch::Contains("root_tmpfs size=67108864,mode=0755,nosuid\nusr PARTUUID=aaaa erofs\n"
                                     "persist PARTUUID=bbbb ext4 /persist\nfsck /usr/sbin/e2fsck\nlink bin usr/bin\n"
                                     "factory /usr/share/factory/etc /etc\nmkdir /tmp 1777\n"));
    CHECK_THAT(text, Catch::Contains("bind dir /srv/my\\040data 1000 1000 0750\nbind file /etc/machine-id 0 0 0444\ninit /sbin/init\n"));
    CHECK_THAT(text, !Catch::Contains("rescue "));
    CHECK_THAT(text, !Catch::Contains("grow_persist"));
    c.grow_persist = true;
    CHECK_THAT(init::render_init_config(c), Catch::Contains("persist PARTUUID=bbbb ext4 /persist\ngrow_persist\n"));
    CHECK(init::escape_field("a\\b#c\td") == "a\\134b\\043c\\011d");
}

TEST_CASE("modules with device patterns become module_if lines, the others module lines", "[initrd]") {
    plan::Plan plan;
    plan::PartitionPlan usr, persist;
    usr.role = plan::Role::usr;
    usr.uuid = "aaaa";
    usr.filesystem.type = "erofs";
    persist.role = plan::Role::persist;
    persist.uuid = "bbbb";
    persist.filesystem.type = "ext4";
    plan.partitions = {usr, persist};
    plan.persist_mount = "/persist";
    initramfs::InitrdModules modules;
    modules.names = {"erofs", "virtio_ring", "virtio_blk"};
    modules.paths_in_initrd = {"/m/erofs.ko", "/m/virtio_ring.ko", "/m/virtio_blk.ko"};
    modules.patterns = {{}, {"pci:v00001AF4d*", "virtio:d00000002v*"}, {"virtio:d00000002v*"}};
    auto config = initramfs::make_init_config(plan, stage::SplitTree{}, modules, false);
    CHECK_FALSE(config.grow_persist);
    plan.persist_grow = true;
    CHECK(initramfs::make_init_config(plan, stage::SplitTree{}, modules, false).grow_persist);
    CHECK(config.modules == std::vector<std::string>{"/m/erofs.ko"});
    REQUIRE(config.device_modules.size() == 2);
    CHECK(config.device_modules[0].path == "/m/virtio_ring.ko");
    CHECK(config.device_modules[1].patterns == std::vector<std::string>{"virtio:d00000002v*"});
    CHECK_THAT(init::render_init_config(config),
               Catch::Contains("module /m/erofs.ko\nmodule_if /m/virtio_ring.ko pci:v00001AF4d* virtio:d00000002v*\n"
                               "module_if /m/virtio_blk.ko virtio:d00000002v*\n"));
}
