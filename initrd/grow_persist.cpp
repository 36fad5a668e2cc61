#include "initrd/grow_persist.hpp"

#include "initrd/block_devices.hpp"
#include "initrd/console_log.hpp"
#include "initrd/ext4_resize.hpp"
#include "initrd/failure.hpp"
#include "initrd/fs_util.hpp"
#include "initrd/gpt_grow.hpp"

#include <cstdint>
#include <exception>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace lethe::init {
namespace {

uint64_t device_bytes(int fd, const std::string& device) {
    uint64_t bytes = 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) fail_errno("cannot get the size of", device);
    return bytes;
}

void resize_kernel_partition(int fd, const DiskPartition& where, const GptGrowth& grown) {
    blkpg_partition partition{};
    partition.start = static_cast<long long>(grown.first_lba * grown.sector_size);
    partition.length = static_cast<long long>((grown.new_last_lba - grown.first_lba + 1) * grown.sector_size);
    partition.pno = static_cast<int>(where.number);
    blkpg_ioctl_arg request{};
    request.op = BLKPG_RESIZE_PARTITION;
    request.datalen = sizeof partition;
    request.data = &partition;
    if (ioctl(fd, BLKPG, &request) != 0)
        fail_errno("the GPT is grown, but the kernel refused the new size of partition " +
                       std::to_string(where.number) + " (BLKPG_RESIZE_PARTITION; it is used from the next boot) of",
                   where.disk);
}

void grow_partition(const std::string& device) {
    DiskPartition where = disk_of(device);
    Fd disk(open(where.disk.c_str(), O_RDWR | O_CLOEXEC));
    if (disk.get() < 0) fail_errno("cannot open", where.disk);
    int sector_size = 0;
    if (ioctl(disk.get(), BLKSSZGET, &sector_size) != 0) fail_errno("cannot get the sector size of", where.disk);
    GptGrowth grown = grow_gpt_partition(disk.get(), static_cast<uint64_t>(sector_size), device_bytes(disk.get(), where.disk),
                                         where.number);
    auto size_of = [&](uint64_t last_lba) { return human_size((last_lba - grown.first_lba + 1) * grown.sector_size); };
    switch (grown.outcome) {
    case GptGrowth::Outcome::skipped:
        log_step("not growing partition %u of %s: %s", where.number, where.disk.c_str(), grown.reason.c_str());
        return;
    case GptGrowth::Outcome::already_full:
        log_step("persist partition %s already fills the disk (%s)", device.c_str(), size_of(grown.old_last_lba).c_str());
        return;
    case GptGrowth::Outcome::grown: break;
    }
    if (grown.new_last_lba == grown.old_last_lba) {
        log_step("moved the backup GPT of %s to sector %llu; partition %u keeps its %s (the disk grew by less "
                 "than a MiB)", where.disk.c_str(), static_cast<unsigned long long>(grown.backup_header_lba),
                 where.number, size_of(grown.old_last_lba).c_str());
        return;
    }
    // Only now that the new table is on the disk: a file system grown on the
    // kernel's word alone could outgrow the partition the next boot reads.
    resize_kernel_partition(disk.get(), where, grown);
    log_step("grew partition %u of %s from %s to %s; moved the backup GPT to sector %llu", where.number,
             where.disk.c_str(), size_of(grown.old_last_lba).c_str(), size_of(grown.new_last_lba).c_str(),
             static_cast<unsigned long long>(grown.backup_header_lba));
}

void grow_filesystem(const std::string& device, const std::string& mount_point, const std::string& shown) {
    Fd partition(open(device.c_str(), O_RDONLY | O_CLOEXEC));
    if (partition.get() < 0) fail_errno("cannot open", device);
    Ext4Size before = read_ext4_size(partition.get());
    uint64_t wanted = device_bytes(partition.get(), device) / before.block_size;
    if (before.blocks >= wanted) return; // it fills its partition: the usual boot
    resize_ext4(mount_point, wanted);
    // The superblock is read through the same page cache ext4 writes it to.
    Ext4Size after = read_ext4_size(partition.get());
    log_step("resized ext4 on %s from %llu to %llu blocks (%s to %s)", shown.c_str(),
             static_cast<unsigned long long>(before.blocks), static_cast<unsigned long long>(after.blocks),
             human_size(before.blocks * before.block_size).c_str(), human_size(after.blocks * after.block_size).c_str());
}

} // namespace

void grow_persist_partition(const std::string& device) {
    try {
        grow_partition(device);
    } catch (const std::exception& error) {
        log_error("cannot grow the persistent partition %s: %s; booting with its old size", device.c_str(), error.what());
    }
}

void grow_persist_filesystem(const std::string& device, const std::string& mount_point, const std::string& shown) {
    try {
        grow_filesystem(device, mount_point, shown);
    } catch (const std::exception& error) {
        log_error("cannot grow ext4 on %s (%s): %s; booting with its old size", shown.c_str(), device.c_str(),
                  error.what());
    }
}

} // namespace lethe::init
