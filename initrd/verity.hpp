#pragma once
// dm-verity's formats, owned here: lethe-init reads them at boot and the
// builder links the same definitions (`lethe verify`, the plan's hash
// partition size). Pure functions on strings and bytes; errors are Failure.
//
// - `usrhash=` on the kernel command line, systemd's name for the root hash
//   of the /usr partition (kernel-command-line(7));
// - the partition UUIDs derived from it (Discoverable Partitions
//   Specification: the data partition's UUID is the root hash's first 128
//   bits, the verity partition's its last 128 bits);
// - the superblock `veritysetup format` writes at the start of the hash
//   device (cryptsetup's "VERITY" on-disk header, 512 bytes, little-endian);
// - where each level of the hash tree lies on the hash device (the kernel's
//   Documentation/admin-guide/device-mapper/verity.rst);
// - the dm "verity" target's table line.

#include "initrd/dm_table.hpp"
#include "initrd/init_config.hpp" // OnCorruption: init.conf carries it

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::init {

// A SHA-256 root hash: 32 bytes, written as 64 lowercase hex digits.
inline constexpr size_t root_hash_hex_digits = 64;

// Throws Failure unless HEX is 64 lowercase hex digits; WHAT names the
// source in the message ("usrhash=", "the manifest's verity.root_hash").
void check_root_hash(std::string_view hex, std::string_view what);

// The value of `usrhash=` on a kernel command line (as in /proc/cmdline,
// double quotes allowed), checked with check_root_hash. nullopt when the
// command line has none; Failure when it is malformed or given twice with
// different values.
std::optional<std::string> usrhash_from_cmdline(std::string_view cmdline);

// The GPT partition UUIDs systemd-repart gives a verity pair, and
// systemd-gpt-auto and lethe-init look for: the root hash's bytes in order,
// formatted 8-4-4-4-12, with no version or variant bits forced.
struct VerityPartitionUuids {
    std::string data; // first 16 bytes of the root hash
    std::string hash; // last 16 bytes
};
VerityPartitionUuids verity_partition_uuids(std::string_view root_hash_hex);

// The superblock at the start of a hash device made by `veritysetup format`.
inline constexpr size_t verity_superblock_size = 512;
struct VeritySuperblock {
    uint32_t version = 0;   // 1
    uint32_t hash_type = 0; // 1: the salt is hashed before each block (0: Chrome OS, after)
    std::string uuid;       // 8-4-4-4-12, lowercase
    std::string algorithm;  // "sha256"
    uint32_t data_block_size = 0;
    uint32_t hash_block_size = 0;
    uint64_t data_blocks = 0;
    std::string salt; // raw bytes, at most 256
};

// Parses the first SIZE bytes of a hash device. Throws Failure, naming what
// is wrong, for a device with no superblock or one lethe cannot use (another
// version or hash type, block sizes that are not powers of two, no data).
VeritySuperblock parse_verity_superblock(const unsigned char* bytes, size_t size);

// Bytes of one digest of ALGORITHM (32 for sha256); 0 for one lethe does not know.
size_t digest_size(std::string_view algorithm);

// Where the hash tree lies on the hash device, in hash blocks from its start.
// Level 0 holds the digests of the data blocks, level 1 those of level 0's
// blocks, and so on up to the top level, which is one block whose digest is
// the root hash. The top level is stored first, level 0 last. One data
// block needs no level: its own digest is the root hash.
struct HashTreeGeometry {
    uint64_t data_blocks = 0;
    uint32_t hash_block_size = 0;
    uint32_t digests_per_block = 0;     // a power of two: 128 for sha256 in 4096-byte blocks
    uint64_t hash_start_block = 0;      // the first block after the superblock
    std::vector<uint64_t> level_start;  // [level], absolute block on the hash device
    std::vector<uint64_t> level_blocks; // [level]
    uint64_t hash_device_blocks = 0;    // superblock and tree
};
HashTreeGeometry hash_tree_geometry(uint64_t data_blocks, uint32_t hash_block_size,
                                    size_t digest_bytes);
HashTreeGeometry hash_tree_geometry(const VeritySuperblock& superblock);

struct VerityTarget {
    std::string data_device; // "MAJOR:MINOR" or a path
    std::string hash_device;
    VeritySuperblock superblock;
    std::string root_hash; // hex
    OnCorruption on_corruption = OnCorruption::eio;
};

// One target over the whole data: `0 SECTORS verity 1 DATA HASH DBS HBS
// NDATA HASH_START ALG ROOT SALT [1 restart_on_corruption|panic_on_corruption]`.
DmTarget verity_target(const VerityTarget& target);

} // namespace lethe::init
