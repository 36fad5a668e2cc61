#include "outputs/compressed_disk.hpp"

#include "util/error.hpp"
#include "util/file.hpp"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace lethe::outputs {

namespace {

// Zero runs are found on a grid of 4 KiB blocks at fixed file offsets, in
// the data as well as in the holes: where the host file system keeps holes
// (and at what granularity) then cannot change the output.
constexpr uint64_t grid = 4096;
// A hole is written as copies of a 64 MiB frame of zeros (2 KiB for zstd,
// whose blocks hold at most 128 KiB; 10 KiB for xz), then of 8 MiB and 1 MiB
// ones for what is left: at most 7 + 7 small frames a hole, each with its
// frame header and (xz) index, cost 2.5% of the xz file on a 40 GiB disk
// with 1 MiB ones alone.
constexpr uint64_t zero_frame_sizes[] = {64 << 20, 8 << 20, 1 << 20};
constexpr uint64_t small_zero_frame = 1 << 20;
// Shorter zero runs are compressed with the data around them: few on a real
// disk (measured: 5 on the tiny test image), and splitting the frame there
// would lose the compressor's window for little gain.
constexpr uint64_t split_at = small_zero_frame;

bool is_zero(const char* data, size_t size) {
    static const char zeros[grid] = {};
    return std::memcmp(data, zeros, size) == 0;
}

// Chooses frame boundaries: data and short zero runs go through the encoder,
// long zero runs end the frame and are written as canned zero frames.
class FrameWriter {
  public:
    FrameWriter(DiskCompression compression, ByteSink sink, CompressedDisk& stats)
        : sink_(std::move(sink)), encoder_(make_frame_encoder(compression, sink_)), stats_(stats) {
        for (uint64_t size : zero_frame_sizes)
            ladder_.push_back({size, zero_frame(compression, size)});
    }

    void data(const char* bytes, size_t size) {
        flush_zeros();
        feed(bytes, size);
    }
    void zeros(uint64_t size) { pending_zeros_ += size; }
    void finish() {
        flush_zeros();
        // An empty disk still needs one (empty) frame to be a valid file.
        if (open_ || stats_.frames + stats_.zero_frames == 0) end_frame();
    }

  private:
    struct ZeroFrame {
        uint64_t size;
        const std::string& bytes;
    };

    void flush_zeros() {
        uint64_t run = std::exchange(pending_zeros_, 0);
        if (run < split_at) return feed_zeros(run);
        feed_zeros(run % ladder_.back().size); // the odd end joins the open frame
        if (open_) end_frame();
        for (const auto& frame : ladder_)
            for (; run >= frame.size; run -= frame.size) {
                sink_(frame.bytes.data(), frame.bytes.size());
                stats_.zero_frames++;
            }
    }
    void feed_zeros(uint64_t size) {
        static const std::vector<char> zeros(small_zero_frame);
        for (uint64_t done = 0; done < size; done += zeros.size())
            feed(zeros.data(), static_cast<size_t>(std::min<uint64_t>(size - done, zeros.size())));
    }
    void feed(const char* bytes, size_t size) {
        if (size == 0) return;
        encoder_->write(bytes, size);
        stats_.data_bytes += size;
        open_ = true;
    }
    void end_frame() {
        encoder_->end_frame();
        stats_.frames++;
        open_ = false;
    }

    ByteSink sink_;
    std::unique_ptr<FrameEncoder> encoder_;
    CompressedDisk& stats_;
    std::vector<ZeroFrame> ladder_; // largest first
    uint64_t pending_zeros_ = 0;
    bool open_ = false;
};

// Turns the raw disk's extents into data and zero runs on the 4 KiB grid.
class ZeroRunFinder {
  public:
    explicit ZeroRunFinder(FrameWriter& out) : out_(out) {}

    void data(const char* bytes, size_t size) {
        while (size > 0) {
            if (!partial_.empty() || size < grid) {
                size_t take = std::min<size_t>(size, grid - partial_.size());
                partial_.append(bytes, take);
                bytes += take;
                size -= take;
                if (partial_.size() == grid) end_partial();
                continue;
            }
            size_t whole = size - size % grid;
            whole_blocks(bytes, whole);
            bytes += whole;
            size -= whole;
        }
    }
    void hole(uint64_t size) {
        if (!partial_.empty()) {
            size_t take = static_cast<size_t>(std::min<uint64_t>(size, grid - partial_.size()));
            partial_.append(take, '\0');
            size -= take;
            if (partial_.size() == grid) end_partial();
        }
        if (size >= grid) out_.zeros(size - size % grid);
        partial_.append(static_cast<size_t>(size % grid), '\0');
    }
    void finish() {
        if (!partial_.empty()) end_partial(); // a short last block
        out_.finish();
    }

  private:
    // Consecutive data blocks go to the encoder in one call.
    void whole_blocks(const char* bytes, size_t size) {
        size_t run = 0;
        for (size_t at = 0; at < size; at += grid) {
            if (!is_zero(bytes + at, grid)) continue;
            if (at > run) out_.data(bytes + run, at - run);
            out_.zeros(grid);
            run = at + grid;
        }
        if (size > run) out_.data(bytes + run, size - run);
    }
    void end_partial() {
        if (is_zero(partial_.data(), partial_.size()))
            out_.zeros(partial_.size());
        else
            out_.data(partial_.data(), partial_.size());
        partial_.clear();
    }

    FrameWriter& out_;
    std::string partial_; // the current grid block, when an extent ends inside it
};

} // namespace

CompressedDisk compress_disk(const std::filesystem::path& raw, const std::filesystem::path& output,
                             DiskCompression compression) {
    Fd in(open(raw.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) fail_errno("cannot open", raw.string());
    Fd out(open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.get() < 0) fail_errno("cannot create", output.string());

    CompressedDisk stats;
    auto write_out = [&](const char* bytes, size_t size) {
        for (size_t done = 0; done < size;) {
            ssize_t n = write(out.get(), bytes + done, size - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail_errno("cannot write", output.string());
            done += static_cast<size_t>(n);
        }
        stats.output_bytes += size;
    };
    FrameWriter frames(compression, write_out, stats);
    ZeroRunFinder runs(frames);
    walk_extents(in.get(), raw.string(), [&](uint64_t offset, uint64_t length, bool data) {
        stats.raw_bytes += length;
        if (!data) return runs.hole(length);
        read_range(in.get(), raw.string(), offset, length,
                   [&](const char* bytes, size_t n) { runs.data(bytes, n); });
    });
    runs.finish();
    if (fsync(out.get()) != 0 || close(out.release()) != 0) fail_errno("cannot write", output.string());
    return stats;
}

} // namespace lethe::outputs
