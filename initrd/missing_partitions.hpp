#pragma once
// What lethe-init says when partitions have not appeared in time: which it
// waited for, which partitions the disks it did find have (a deleted GPT
// entry shows as a disk with one partition less), which block devices exist.

#include <string>
#include <vector>

namespace lethe::init {

struct WantedPartition {
    std::string tag;  // PARTUUID=...
    std::string what; // "/usr", "the persistent partition"
};

// A disk holding a partition that was found, and the partitions it has.
struct DiskListing {
    std::string disk;  // /dev/vda
    std::string holds; // what the found partition is: "/usr"
    std::vector<std::string> partitions; // vda1, vda2 (any order)
};

// "timed out after 10 s waiting for PARTUUID=... (the persistent partition);
// /dev/vda, the disk of /usr, has 2 partitions: vda1, vda2; block devices
// present: vda, vda1, vda2". Names are listed in natural order (vda2 before vda10).
std::string missing_partitions_message(int timeout_seconds, const std::vector<WantedPartition>& missing,
                                       const std::vector<DiskListing>& disks, std::vector<std::string> present);

// vda2 < vda10: digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b);

} // namespace lethe::init
