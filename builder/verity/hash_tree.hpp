#pragma once
// dm-verity's hash tree computed in-process (OpenSSL's SHA-256), to check a
// verity pair offline and without root, the way the kernel checks it at
// each read: every data block against level 0, every hash block against the
// level above, the top block against the root hash. Works on regions of
// open files (a partition inside a disk image, or an image file of its own),
// so the unit tests run it on small files.

#include "initrd/verity.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::verity {

// SIZE bytes at OFFSET of the open file FD; NAME is for messages ("usr").
struct Region {
    int fd = -1;
    uint64_t offset = 0;
    uint64_t size = 0;
    std::string name;
};

// Inclusive range of block numbers.
struct BlockRange {
    uint64_t first = 0;
    uint64_t last = 0;
    bool operator==(const BlockRange&) const = default;
};

// Blocks that did not match, in increasing order, joined into ranges.
struct BlockRanges {
    std::vector<BlockRange> ranges;
    uint64_t blocks = 0;
    void add(uint64_t block);
    bool empty() const { return ranges.empty(); }
};

struct TreeCheck {
    init::VeritySuperblock superblock;
    init::HashTreeGeometry geometry;
    std::string computed_root_hash; // of the data alone, as `veritysetup format` would make it
    std::string stored_root_hash;   // of the stored top block: the root hash the hash partition has
    bool root_matches =
        false;        // the stored top block (or the one data block) has the expected digest
    BlockRanges data; // data blocks whose digest is not the one stored in level 0
    std::vector<BlockRanges>
        hash_levels; // [level]: its blocks whose digest is not stored in the level above
    bool ok() const;
};

// Reads the superblock at the start of HASH and checks every block. Throws
// lethe::Error (failure) when the superblock is missing or unusable, or the
// regions are too small for what it describes.
TreeCheck check_hash_tree(const Region& data, const Region& hash, std::string_view root_hash);

// The root hash `veritysetup format` gives the first DATA_BLOCKS blocks of
// DATA with SUPERBLOCK's block sizes and salt (hash type 1, sha256).
std::string compute_root_hash(const Region& data, const init::VeritySuperblock& superblock);

// The superblock at the start of HASH; lethe::Error (failure) if it is not one.
init::VeritySuperblock read_superblock(const Region& hash);

} // namespace lethe::verity
