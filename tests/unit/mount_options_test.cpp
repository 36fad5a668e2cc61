// lethe-init's mount options: flag words become MS_* flags, the rest is data.

#include "initrd/mount_options.hpp"

#include <catch2/catch.hpp>
#include <sys/mount.h>

using namespace lethe;

TEST_CASE("lethe-init splits mount options into flags and data", "[init]") {
    auto split = init::split_mount_options("size=64M,mode=0755,nosuid,nodev");
    CHECK(split.flags == (MS_NOSUID | MS_NODEV));
    CHECK(split.data == "size=64M,mode=0755");
    auto more = init::split_mount_options("ro,noexec,,nr_inodes=1k,rw,noatime,defaults");
    CHECK(more.flags == (MS_NOEXEC | MS_NOATIME));
    CHECK(more.data == "nr_inodes=1k");
    CHECK(init::split_mount_options("").flags == 0);
}

