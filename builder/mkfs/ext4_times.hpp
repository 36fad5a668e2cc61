#pragma once
// Resetting every inode time of an ext4 image made by `mke2fs -d`. mke2fs
// (e2fsprogs 1.47.0) copies each source file's atime, ctime and mtime into
// its inode, and has no option to override them; E2FSPROGS_FAKE_TIME only
// covers the superblock and the inodes mke2fs makes itself. A source tree's
// ctime cannot be set at all, so the times are fixed afterwards, in the
// image, with the real tools: dumpe2fs says which inodes are in use and one
// `debugfs -w -f SCRIPT` run rewrites them (about 0.2 s for 10,000 files).

#include "exec/command_runner.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lethe::mkfs {

// The inodes that hold a file's times, from the output of `dumpe2fs IMAGE`:
// the root directory (2) and every inode in use from the first non-reserved
// one ("First inode:", 11 by default) on. The reserved inodes 1-10 stay
// untouched: mke2fs stamps those it uses with E2FSPROGS_FAKE_TIME, and the
// others must stay zero. Pure, for tests.
std::vector<uint32_t> inodes_with_file_times(const std::string& dumpe2fs_output);

// A debugfs script setting atime, ctime, mtime and crtime of `inodes` to
// `epoch`, with zero nanoseconds. Each *_extra field is cleared before its
// time is set, as setting the time writes the epoch bits beyond 2038 into it.
std::string reset_times_script(const std::vector<uint32_t>& inodes, int64_t epoch);

// The lines of `debugfs -f SCRIPT` output (stdout and stderr together) that
// report an error. debugfs exits 0 even when every command failed (a bad
// inode, an image it could not open), so its output is the only witness.
std::vector<std::string> debugfs_errors(const std::string& output);

// Sets every time in the ext4 image to `epoch`, through dumpe2fs and
// debugfs -w. The script is written next to the image and removed after.
void reset_inode_times(const std::filesystem::path& image, int64_t epoch, exec::CommandRunner& runner);

} // namespace lethe::mkfs
