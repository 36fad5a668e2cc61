#include "initrd/verity_device.hpp"

#include "initrd/console_log.hpp"
#include "initrd/device_mapper.hpp"
#include "initrd/failure.hpp"
#include "initrd/fs_util.hpp"
#include "initrd/verity.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace lethe::init {
namespace {

constexpr const char* device_name = "usr";

VeritySuperblock read_superblock(const std::string& hash_device) {
    int fd = open(hash_device.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno("cannot open", hash_device);
    unsigned char bytes[verity_superblock_size];
    ssize_t got = pread(fd, bytes, sizeof bytes, 0);
    int saved = errno;
    close(fd);
    if (got < 0) fail("cannot read '" + hash_device + "': " + std::strerror(saved));
    return parse_verity_superblock(bytes, static_cast<size_t>(got));
}

// The kernel checks a block against the tree only when it is read: the
// first block of the device goes through every level up to the root hash.
void read_first_block(const std::string& device, uint32_t block_size) {
    int fd = open(device.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno("cannot open", device);
    std::vector<char> block(block_size);
    ssize_t got = pread(fd, block.data(), block.size(), 0);
    int saved = errno;
    close(fd);
    if (got < 0)
        fail("reading its first block through " + device + " failed: " + std::strerror(saved));
}

} // namespace

std::string open_usr_verity(const UsrVerity& verity, const std::string& data_device,
                            const std::string& hash_device, OnCorruption on_corruption) {
    VerityTarget target{data_device, hash_device, {}, verity.root_hash, OnCorruption::eio};
    try {
        target.superblock = read_superblock(hash_device);
    } catch (const Failure& error) {
        fail(usr_mismatch_message(verity, data_device, hash_device, error.what()));
    }
    // First with EIO on a mismatch, whatever the layout says: a mismatch now
    // is a clear message and the failure path, never a restart or a panic.
    MappedDevice device = create_read_only_device(device_name, "", verity_target(target));
    try {
        read_first_block(device.path, target.superblock.data_block_size);
    } catch (const Failure& error) {
        try {
            remove_device(device_name);
        } catch (const Failure& removal) {
            log_error("%s", removal.what());
        }
        fail(usr_mismatch_message(verity, data_device, hash_device, error.what()));
    }
    if (on_corruption != OnCorruption::eio) {
        target.on_corruption = on_corruption;
        replace_table(device_name, verity_target(target));
    }
    log_step("opened %s: dm-verity over %s and its hash tree %s, root hash %s, on corruption %s",
             device.path.c_str(), data_device.c_str(), hash_device.c_str(), verity.root_hash.c_str(),
             to_string(on_corruption));
    return device.path;
}

} // namespace lethe::init
