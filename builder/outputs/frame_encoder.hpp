#pragma once
// Compressors that write a sequence of independent frames (zstd frames, xz
// streams) to one output. Both formats allow frames to be concatenated, and
// both decompressors join them back into one byte stream (RFC 8878 §3.1;
// the .xz file format §2), which is what lets compressed_disk.cpp emit a
// hole as a canned frame of zeros instead of compressing it.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace lethe::outputs {

enum class DiskCompression { zstd, xz };

// Where compressed bytes go.
using ByteSink = std::function<void(const char*, size_t)>;

class FrameEncoder {
  public:
    virtual ~FrameEncoder() = default;
    // Adds bytes to the current frame, starting one if none is open. The
    // output does not depend on how the input is split across calls.
    virtual void write(const char* data, size_t size) = 0;
    // Finishes the current frame (an empty one if nothing was written).
    virtual void end_frame() = 0;
};

// zstd: level 10 with 2 workers, as `zstd -T2 -10`; xz: preset 6 with 2
// threads, as `xz -T2 -6`. The thread counts are fixed because both
// libraries' multi-threaded output depends on them: the bytes must not
// depend on the machine's core count.
std::unique_ptr<FrameEncoder> make_frame_encoder(DiskCompression compression, ByteSink sink);

// `size` zero bytes compressed as one frame: what a hole of that size is written as.
const std::string& zero_frame(DiskCompression compression, size_t size);

} // namespace lethe::outputs
