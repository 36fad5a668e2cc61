#pragma once
// /usr's dm-verity device at boot: the superblock from the hash partition,
// the verity table over the two partitions (device_mapper.hpp), a read of
// the first block to check the root hash before anything mounts it, then
// the layout's on_corruption mode.

#include "initrd/init_config.hpp"
#include "initrd/usr_verity.hpp"

#include <string>

namespace lethe::init {

// Makes /dev/mapper/usr over DATA_DEVICE and HASH_DEVICE and returns its
// path. Failure (usr_mismatch_message) when the hash partition has no usable
// superblock or the first block does not match the root hash; the device is
// removed then.
std::string open_usr_verity(const UsrVerity& verity, const std::string& data_device,
                            const std::string& hash_device, OnCorruption on_corruption);

} // namespace lethe::init
