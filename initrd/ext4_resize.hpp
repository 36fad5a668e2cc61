#pragma once
// Growing a mounted ext4 file system to the size of its (grown) partition
// with the kernel's online resize, so the initrd needs no resize2fs.

#include <cstdint>
#include <string>

namespace lethe::init {

struct Ext4Size {
    uint64_t blocks = 0;
    uint64_t block_size = 0;
};

// The block count and size in the ext4 superblock (1024 bytes at byte 1024)
// of a device or image file. Throws Failure if it is not ext2/3/4.
Ext4Size read_ext4_size(int fd);

// Grows the ext4 file system mounted at MOUNT_POINT to BLOCKS blocks
// (EXT4_IOC_RESIZE_FS, what resize2fs itself asks of a mounted file system).
void resize_ext4(const std::string& mount_point, uint64_t blocks);

} // namespace lethe::init
