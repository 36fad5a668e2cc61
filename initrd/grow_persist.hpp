#pragma once
// The first boot on a disk larger than the image: the persistent partition
// grows to the end of the disk (GPT and the kernel's view), then its ext4
// file system grows to the partition. Neither step is a precondition of the
// boot: a failure is logged and the machine boots with the old size.

#include <string>

namespace lethe::init {

// Before anything mounts DEVICE (e.g. /dev/vda3): rewrites the GPT of its disk
// (gpt_grow.hpp) and tells the kernel the new size (BLKPG_RESIZE_PARTITION;
// BLKRRPART would refuse, as the disk is open). Logs; never throws.
void grow_persist_partition(const std::string& device);

// Once DEVICE's ext4 is mounted at MOUNT_POINT (shown as SHOWN): grows it to
// the partition's size if it is smaller. Logs; never throws.
void grow_persist_filesystem(const std::string& device, const std::string& mount_point, const std::string& shown);

} // namespace lethe::init
