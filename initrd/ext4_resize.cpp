#include "initrd/ext4_resize.hpp"

#include "initrd/failure.hpp"
#include "initrd/fs_util.hpp"
#include "initrd/little_endian.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/types.h>
#include <sys/ioctl.h>
#include <unistd.h>

// Not in the kernel's exported headers before 6.x (fs/ext4/ext4.h); the value
// is part of the ABI, and e2fsprogs's resize/online.c defines it the same way.
#ifndef EXT4_IOC_RESIZE_FS
#define EXT4_IOC_RESIZE_FS _IOW('f', 16, __u64)
#endif

namespace lethe::init {
namespace {

// Offsets in the ext4 superblock (fs/ext4/ext4.h, struct ext4_super_block).
constexpr size_t blocks_count_lo = 0x4, log_block_size = 0x18, magic = 0x38, feature_incompat = 0x60,
                 blocks_count_hi = 0x150;
constexpr uint64_t incompat_64bit = 0x80;

} // namespace

Ext4Size read_ext4_size(int fd) {
    unsigned char sb[1024];
    ssize_t n;
    do n = pread(fd, sb, sizeof sb, 1024);
    while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof sb)) fail("cannot read the ext4 superblock");
    if (get_le(sb + magic, 2) != 0xef53) fail("no ext4 superblock (bad magic)");
    uint64_t log = get_le(sb + log_block_size, 4);
    if (log > 6) fail("bad ext4 block size (log " + std::to_string(log) + ")");
    Ext4Size size;
    size.block_size = 1024ull << log;
    size.blocks = get_le(sb + blocks_count_lo, 4);
    if (get_le(sb + feature_incompat, 4) & incompat_64bit) size.blocks |= get_le(sb + blocks_count_hi, 4) << 32;
    return size;
}

void resize_ext4(const std::string& mount_point, uint64_t blocks) {
    Fd fd(open(mount_point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno("cannot open", mount_point);
    __u64 count = blocks;
    if (ioctl(fd.get(), EXT4_IOC_RESIZE_FS, &count) != 0) fail_errno("cannot resize ext4 (EXT4_IOC_RESIZE_FS to " + std::to_string(blocks) + " blocks) on", mount_point);
}

} // namespace lethe::init
