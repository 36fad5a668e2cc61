#pragma once
// raw.zst and raw.xz: the raw disk compressed in the ordinary formats that
// `zstd -d` and `xz -d` (hence hcloud-upload-image) read, in time that
// depends on the disk's data, not on its declared size.
//
// The raw disk is sparse: a 40 GiB disk may hold 40 MiB of data. Running the
// zstd or xz CLI over it reads every hole as zeros (25 s of zstd, minutes of
// xz). Here data is compressed normally and each long run of zeros ends the
// current frame and is written as copies of one frame of compressed zeros,
// made once: O(1) per 64 MiB of hole. Frames decompress back to back into
// exactly the raw disk's bytes.

#include "outputs/frame_encoder.hpp"

#include <cstdint>
#include <filesystem>

namespace lethe::outputs {

struct CompressedDisk {
    uint64_t raw_bytes = 0;   // the raw disk's size
    uint64_t data_bytes = 0;  // bytes that went through the compressor
    uint64_t frames = 0;      // frames of data (and short zero runs) compressed
    uint64_t zero_frames = 0; // canned frames of zeros copied
    uint64_t output_bytes = 0;
};

// Writes `raw` compressed to `output` (created or truncated). Frame
// boundaries depend only on the raw disk's bytes, not on where the host
// file system keeps holes, so the output is the same on every machine.
CompressedDisk compress_disk(const std::filesystem::path& raw, const std::filesystem::path& output,
                             DiskCompression compression);

} // namespace lethe::outputs
