#include "outputs/frame_encoder.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <lzma.h>
#include <map>
#include <utility>
#include <vector>
#include <zstd.h>

namespace lethe::outputs {

namespace {

constexpr int zstd_level = 10;
constexpr uint32_t xz_preset = 6;
constexpr int threads = 2;

class ZstdEncoder : public FrameEncoder {
  public:
    explicit ZstdEncoder(ByteSink sink) : sink_(std::move(sink)), context_(ZSTD_createCCtx()) {
        if (!context_) fail("cannot set up the zstd encoder: out of memory");
        check(ZSTD_CCtx_setParameter(context_, ZSTD_c_compressionLevel, zstd_level));
        check(ZSTD_CCtx_setParameter(context_, ZSTD_c_checksumFlag, 1)); // as the zstd CLI does
        // Fails rather than falling back to one thread: that would change the bytes.
        check(ZSTD_CCtx_setParameter(context_, ZSTD_c_nbWorkers, threads));
        buffer_.resize(ZSTD_CStreamOutSize());
    }
    ~ZstdEncoder() override { ZSTD_freeCCtx(context_); }
    ZstdEncoder(const ZstdEncoder&) = delete;
    ZstdEncoder& operator=(const ZstdEncoder&) = delete;

    void write(const char* data, size_t size) override {
        ZSTD_inBuffer in{data, size, 0};
        while (in.pos < in.size)
            pump(in, ZSTD_e_continue);
    }
    void end_frame() override {
        ZSTD_inBuffer in{nullptr, 0, 0};
        while (pump(in, ZSTD_e_end) != 0) {
        }
    }

  private:
    size_t pump(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
        ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
        size_t left = check(ZSTD_compressStream2(context_, &out, &in, mode));
        if (out.pos > 0) sink_(buffer_.data(), out.pos);
        return left;
    }
    static size_t check(size_t code) {
        if (ZSTD_isError(code)) fail("zstd compression failed: {}", ZSTD_getErrorName(code));
        return code;
    }

    ByteSink sink_;
    ZSTD_CCtx* context_;
    std::vector<char> buffer_;
};

class XzEncoder : public FrameEncoder {
  public:
    explicit XzEncoder(ByteSink sink) : sink_(std::move(sink)) {
        options_.threads = threads;
        options_.preset = xz_preset;
        options_.check = LZMA_CHECK_CRC64; // the xz CLI's default
        // Blocks are compressed in parallel. The default, 3 x the dictionary
        // (24 MiB), is longer than most data frames between a disk's holes:
        // measured on the tiny test image, 8 MiB blocks halve the time for
        // 0.6% more bytes. Fixed, so the thread count does not change the bytes.
        options_.block_size = 8 << 20;
    }
    ~XzEncoder() override { lzma_end(&stream_); }
    XzEncoder(const XzEncoder&) = delete;
    XzEncoder& operator=(const XzEncoder&) = delete;

    void write(const char* data, size_t size) override {
        open();
        stream_.next_in = reinterpret_cast<const uint8_t*>(data);
        stream_.avail_in = size;
        while (stream_.avail_in > 0)
            pump(LZMA_RUN);
    }
    void end_frame() override {
        open();
        while (pump(LZMA_FINISH) != LZMA_STREAM_END) {
        }
        open_ = false;
    }

  private:
    // One xz stream per frame. Initialising an ended stream again reuses its
    // threads and buffers.
    void open() {
        if (open_) return;
        lzma_ret ret = lzma_stream_encoder_mt(&stream_, &options_);
        if (ret != LZMA_OK) fail("cannot set up the xz encoder (liblzma error {})", int(ret));
        open_ = true;
    }
    lzma_ret pump(lzma_action action) {
        uint8_t buffer[1 << 16];
        stream_.next_out = buffer;
        stream_.avail_out = sizeof buffer;
        lzma_ret ret = lzma_code(&stream_, action);
        if (ret != LZMA_OK && ret != LZMA_STREAM_END)
            fail("xz compression failed (liblzma error {})", int(ret));
        size_t produced = sizeof buffer - stream_.avail_out;
        if (produced > 0) sink_(reinterpret_cast<const char*>(buffer), produced);
        return ret;
    }

    ByteSink sink_;
    lzma_stream stream_ = LZMA_STREAM_INIT;
    lzma_mt options_{};
    bool open_ = false;
};

} // namespace

std::unique_ptr<FrameEncoder> make_frame_encoder(DiskCompression compression, ByteSink sink) {
    if (compression == DiskCompression::zstd) return std::make_unique<ZstdEncoder>(std::move(sink));
    return std::make_unique<XzEncoder>(std::move(sink));
}

const std::string& zero_frame(DiskCompression compression, size_t size) {
    // Kept for the process: xz takes half a second over 64 MiB of zeros, and
    // the frame is the same every time.
    static std::map<std::pair<DiskCompression, size_t>, std::string> made;
    auto [it, added] = made.try_emplace({compression, size});
    if (!added) return it->second;
    std::string& frame = it->second;
    auto encoder =
        make_frame_encoder(compression, [&](const char* data, size_t n) { frame.append(data, n); });
    static const std::vector<char> zeros(1 << 20);
    for (size_t done = 0; done < size; done += zeros.size())
        encoder->write(zeros.data(), std::min(zeros.size(), size - done));
    encoder->end_frame();
    return frame;
}

} // namespace lethe::outputs
