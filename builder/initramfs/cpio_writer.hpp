#pragma once
// The initrd file: a newc cpio, written with libarchive, then compressed.
//
// It is reproducible: entries sorted by path, every mtime the build's epoch,
// owner 0:0, inode numbers 1, 2, 3... in that order, no padding, and the
// compressors' outputs carry no timestamp. It holds /init (lethe-init),
// /lethe/init.conf, the directories dev, proc, sys, run and lethe, the
// /dev/console node the kernel opens before devtmpfs is mounted, and the
// kernel modules, decompressed so lethe-init only needs finit_module(2).

#include "initramfs/resolve.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace lethe::initramfs {

struct InitrdSummary {
    uint64_t entries = 0;
    uint64_t compressed_bytes = 0;   // the file's size
    uint64_t uncompressed_bytes = 0; // the cpio's size
};

// `compression`: "zstd", "xz", "gzip" or "none". The file appears at `out`
// only when complete.
InitrdSummary write_initrd(const std::filesystem::path& out,
                           const std::filesystem::path& init_program,
                           const std::string& init_config_text, const InitrdModules& modules,
                           const std::string& compression, int64_t epoch);

// A kernel module's bytes, decompressed if its name ends in .ko.xz, .ko.zst
// or .ko.gz. Throws lethe::Error when the result is not an ELF object.
std::string read_kernel_module(const std::filesystem::path& source);

} // namespace lethe::initramfs
