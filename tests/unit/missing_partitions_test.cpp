// What lethe-init says when partitions do not appear (initrd/missing_partitions):
// the tags it waited for, the partitions of the disks it found, the devices.

#include "initrd/missing_partitions.hpp"

#include <catch2/catch.hpp>

using namespace lethe::init;

namespace {
const WantedPartition usr{"PARTUUID=aaaa", "/usr"}, persist{"PARTUUID=bbbb", "the persistent partition"};
}

TEST_CASE("a missing persistent partition: the disk of /usr and its partitions are named", "[init]") {
    CHECK(missing_partitions_message(10, {persist}, {{"/dev/vda", "/usr", {"vda2", "vda1"}}},
                                     {"vda2", "vda1", "vda"}) ==
          "timed out after 10 s waiting for PARTUUID=bbbb (the persistent partition); /dev/vda, the disk of /usr, "
          "has 2 partitions: vda1, vda2; block devices present: vda, vda1, vda2");
    CHECK(missing_partitions_message(3, {persist}, {{"/dev/sda", "/usr", {"sda1"}}}, {"sda", "sda1"}) ==
          "timed out after 3 s waiting for PARTUUID=bbbb (the persistent partition); /dev/sda, the disk of /usr, "
          "has 1 partition: sda1; block devices present: sda, sda1");
}

TEST_CASE("nothing found: every tag and the devices present", "[init]") {
    CHECK(missing_partitions_message(3, {usr, persist}, {}, {"vda"}) ==
          "timed out after 3 s waiting for PARTUUID=aaaa (/usr), PARTUUID=bbbb (the persistent partition); "
          "block devices present: vda");
    CHECK(missing_partitions_message(3, {usr, persist}, {}, {}) ==
          "timed out after 3 s waiting for PARTUUID=aaaa (/usr), PARTUUID=bbbb (the persistent partition); "
          "block devices present: none");
}

TEST_CASE("a found partition's disk with no other partitions listed", "[init]") {
    CHECK(missing_partitions_message(5, {usr}, {{"/dev/vdb", "the persistent partition", {}}}, {"vdb"}) ==
          "timed out after 5 s waiting for PARTUUID=aaaa (/usr); /dev/vdb, the disk of the persistent partition, "
          "has no partitions; block devices present: vdb");
}

TEST_CASE("device names sort naturally", "[init]") {
    CHECK(natural_less("vda2", "vda10"));
    CHECK_FALSE(natural_less("vda10", "vda2"));
    CHECK(natural_less("vda", "vda1"));
    CHECK(natural_less("nvme0n1p9", "nvme0n1p10"));
    CHECK(natural_less("sda9", "vda1"));
    CHECK_FALSE(natural_less("vda1", "vda1"));
    CHECK(missing_partitions_message(1, {persist}, {{"/dev/vda", "/usr", {"vda10", "vda9", "vda1"}}}, {}).find(
              "has 3 partitions: vda1, vda9, vda10;") != std::string::npos);
}
