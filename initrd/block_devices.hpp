#pragma once
// Finding partitions by tag (PARTUUID=..., PARTLABEL=..., UUID=..., LABEL=...)
// with libblkid's low-level probe, as devices appear in /sys/class/block.

#include "initrd/missing_partitions.hpp"

#include <functional>
#include <string>
#include <vector>

namespace lethe::init {

// The /dev path of the first block device whose probed values match TAG, or "".
std::string find_tagged_device(const std::string& tag);

struct FoundPartitions {
    std::vector<std::string> devices; // in the order asked for; "" for one that did not appear
    std::string missing;              // what did not appear and what there is, for the console; "" if none
};

// Polls every 100 ms until every wanted partition has a device, for at most
// TIMEOUT seconds, calling BEFORE_POLL first each time (loading drivers for
// devices that appeared meanwhile). On timeout, returns what it found and a
// message naming the missing tags, the partitions of the disks it did find
// and the block devices the kernel has (missing_partitions_message).
FoundPartitions wait_for_partitions(const std::vector<WantedPartition>& wanted, int timeout_seconds,
                                    const std::function<void()>& before_poll = {});

struct DiskPartition {
    std::string disk;    // /dev/vda
    unsigned number = 0; // 3 for /dev/vda3
};

// The disk DEVICE is a partition of, from sysfs; throws Failure if it is none.
DiskPartition disk_of(const std::string& device);

} // namespace lethe::init
