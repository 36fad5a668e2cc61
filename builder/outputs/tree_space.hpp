#pragma once
// Where the staged trees and the filesystem images go. The outputs must be
// made beside -o (they are renamed into place), but the trees need not: on a
// tmpfs the example rootfs extracts in 0.5 s instead of 2-9 s and is removed
// in 0.2 s instead of 1-44 s on an ext4 with online discard
// (docs/BENCHMARKS.md). So lethe stages them in a directory of its own on
// /dev/shm when that is a tmpfs with room and with the extended attributes a
// rootfs may carry, and in the work directory otherwise.

#include <cstdint>
#include <filesystem>
#include <string>

namespace lethe::outputs {

inline constexpr const char* tree_marker = ".lethe-trees";

// Room the trees need on a filesystem with `available` bytes free, for a
// rootfs of `rootfs_bytes`: the tree and the images made from it (the
// erofs is at most the tree's size, the ext4 and ESP images are sparse),
// and a margin so that a tmpfs lethe shares with others is never filled.
bool has_room_for_trees(uint64_t available, uint64_t rootfs_bytes);

// What a rootfs source will take once unpacked: a directory its files'
// sizes, an uncompressed archive its own size, a compressed one five times
// it (more than a Debian rootfs's zstd or xz ratio).
uint64_t rootfs_estimate(const std::filesystem::path& source, bool is_directory);

class TreeSpace {
  public:
    // A directory of lethe's own on `tmpfs` (default /dev/shm) when it has
    // room and keeps user.* xattrs, else `fallback`, the work directory.
    // Also removes what builds killed before could not: lethe-trees-*
    // directories there whose marker names a process that is gone.
    // A `rootfs_bytes` of 0 (unknown, or the caller wants the work directory) is `fallback`.
    TreeSpace(const std::filesystem::path& fallback, uint64_t rootfs_bytes,
              const std::filesystem::path& tmpfs = "/dev/shm");
    // Removes the tmpfs directory with everything in it.
    ~TreeSpace();
    TreeSpace(const TreeSpace&) = delete;
    TreeSpace& operator=(const TreeSpace&) = delete;

    const std::filesystem::path& path() const { return path_; }
    bool on_tmpfs() const { return own_; }

  private:
    std::filesystem::path path_;
    bool own_ = false; // path_ is lethe's directory on the tmpfs
};

} // namespace lethe::outputs
