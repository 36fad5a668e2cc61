#pragma once
// Making filesystems with the real tools (mkfs.erofs, mksquashfs, mke2fs -d,
// mkfs.vfat), each into its own image file that a later stage places on the
// disk. Only this file knows their command lines.

#include "exec/command_runner.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lethe::mkfs {

struct FilesystemJob {
    std::string type; // a kind of catalog/filesystem_kinds.hpp, not none
    std::string label;
    std::string uuid;
    std::string compression;
    std::filesystem::path source; // tree to copy in; empty for an empty filesystem
    std::filesystem::path image;  // file to create
    uint64_t size = 0;            // ext4, vfat: the partition size; erofs, squashfs: ignored
    int64_t epoch = 0;            // every timestamp in the filesystem (SOURCE_DATE_EPOCH)
};

// The commands that make the filesystem, in order. Pure, for tests.
std::vector<exec::Command> mkfs_commands(const FilesystemJob& job);

// Refuses (exit 2, naming the path) a tree that mkfs.erofs cannot store:
// a name of 255 bytes, a path longer than PATH_MAX below the tree.
void check_erofs_tree(const std::filesystem::path& source);

// Runs mkfs_commands (after check_erofs_tree for erofs), then, for ext4 with a source tree, resets every inode's
// times to the epoch, so the same tree and epoch give the same bytes.
void make_filesystem(const FilesystemJob& job, exec::CommandRunner& runner);

// Read-only filesystems are made to fit their content: their size is the
// image's. Writable ext4 needs its size up front: the content's blocks plus
// room for metadata, the journal and growth.
uint64_t ext4_size_for(uint64_t content_bytes, uint64_t entries);

// Bytes a tree occupies in 4 KiB blocks, and its number of entries.
struct TreeUsage {
    uint64_t bytes = 0;
    uint64_t entries = 0;
};
TreeUsage measure_tree(const std::filesystem::path& root);

} // namespace lethe::mkfs
