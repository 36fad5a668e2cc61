// raw.zst and raw.xz written around the raw disk's holes: every layout of
// data and holes must decompress (with the libraries and with the zstd and xz
// CLIs that hcloud-upload-image pipes through) to exactly the raw bytes.

#include "exec/command_runner.hpp"
#include "outputs/compressed_disk.hpp"
#include "test_support.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <lzma.h>
#include <random>
#include <unistd.h>
#include <vector>
#include <zstd.h>

using namespace lethe;
using outputs::DiskCompression;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t KiB = 1024, MiB = KiB * KiB, GiB = KiB * MiB;

// Compressible but not trivial bytes: words from a small vocabulary.
std::string sample_data(size_t size, unsigned seed) {
    static const char* words[] = {"lethe ",           "boot ", "image ",
                                  "\x00\x01\x02\x03", "disk ", "frame "};
    std::mt19937 random(seed);
    std::string data;
    while (data.size() < size)
        data += words[random() % 6];
    data.resize(size);
    return data;
}

struct Piece {
    uint64_t offset;
    uint64_t size;
};

// A sparse file of `size` bytes with data at `pieces` and holes elsewhere.
void make_sparse(const fs::path& path, uint64_t size, const std::vector<Piece>& pieces) {
    Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(fd.get() >= 0);
    REQUIRE(ftruncate(fd.get(), static_cast<off_t>(size)) == 0);
    for (const auto& piece : pieces) {
        std::string data = sample_data(piece.size, static_cast<unsigned>(piece.offset));
        REQUIRE(pwrite(fd.get(), data.data(), data.size(), static_cast<off_t>(piece.offset)) ==
                static_cast<ssize_t>(data.size()));
    }
}

// Decompresses every frame of `path` in turn, handing the bytes to `consume`.
void decompress(const fs::path& path, DiskCompression compression,
                const std::function<void(const char*, size_t)>& consume) {
    std::string input = read_file(path);
    std::vector<char> out(1 << 20);
    if (compression == DiskCompression::zstd) {
        ZSTD_DStream* stream = ZSTD_createDStream();
        ZSTD_inBuffer in{input.data(), input.size(), 0};
        size_t last = 0;
        while (in.pos < in.size) {
            ZSTD_outBuffer buffer{out.data(), out.size(), 0};
            last = ZSTD_decompressStream(stream, &buffer, &in);
            REQUIRE_FALSE(ZSTD_isError(last));
            consume(out.data(), buffer.pos);
        }
        for (size_t flushed = 1;
             last != 0 && flushed > 0;) { // drain what the last frame still holds
            ZSTD_outBuffer buffer{out.data(), out.size(), 0};
            last = ZSTD_decompressStream(stream, &buffer, &in);
            REQUIRE_FALSE(ZSTD_isError(last));
            flushed = buffer.pos;
            consume(out.data(), buffer.pos);
        }
        ZSTD_freeDStream(stream);
        REQUIRE(last == 0); // ended on a frame boundary
        return;
    }
    lzma_stream stream = LZMA_STREAM_INIT;
    REQUIRE(lzma_stream_decoder(&stream, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK);
    stream.next_in = reinterpret_cast<const uint8_t*>(input.data());
    stream.avail_in = input.size();
    for (lzma_ret ret = LZMA_OK; ret != LZMA_STREAM_END;) {
        stream.next_out = reinterpret_cast<uint8_t*>(out.data());
        stream.avail_out = out.size();
        ret = lzma_code(&stream, stream.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
        REQUIRE((ret == LZMA_OK || ret == LZMA_STREAM_END));
        consume(out.data(), out.size() - stream.avail_out);
    }
    lzma_end(&stream);
}

// Decompresses `compressed` and compares it with `raw`, byte for byte and in length.
void check_round_trip(const fs::path& raw, const fs::path& compressed,
                      DiskCompression compression) {
    Fd fd(open(raw.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    uint64_t at = 0;
    bool same = true;
    std::vector<char> expected(1 << 20);
    decompress(compressed, compression, [&](const char* data, size_t size) {
        if (!same || size == 0) return;
        ssize_t n = pread(fd.get(), expected.data(), size, static_cast<off_t>(at));
        same = n == static_cast<ssize_t>(size) && std::memcmp(expected.data(), data, size) == 0;
        at += size;
    });
    CHECK(same);
    CHECK(at == fs::file_size(raw));
}

const char* name_of(DiskCompression compression) {
    return compression == DiskCompression::zstd ? "zstd" : "xz";
}

} // namespace

TEST_CASE("compressed disks decompress to exactly the raw disk, whatever its holes", "[compress]") {
    struct Layout {
        const char* name;
        uint64_t size;
        std::vector<Piece> pieces;
    };
    const std::vector<Layout> layouts = {
        {"empty", 0, {}},
        {"data only, not a multiple of 4 KiB", 10000, {{0, 10000}}},
        {"a hole at the start", 3 * MiB + 300 * KiB, {{3 * MiB + 123, 300 * KiB - 123}}},
        {"a hole in the middle", 8 * MiB, {{0, 300 * KiB}, {6 * MiB + 5, 300 * KiB - 5}}},
        {"a hole at the end, not on a block boundary", 5 * MiB + 777, {{0, 100 * KiB}}},
        {"only a hole", 3 * MiB, {}},
        {"short holes between unaligned data",
         4 * MiB,
         {{4097, 5000},
          {20 * KiB, 1},
          {300 * KiB, 50 * KiB},
          {(1 * MiB) + 3, 10},
          {3 * MiB, 200 * KiB}}},
        {"a hole longer than 64 MiB and no multiple of it",
         200 * MiB + 12345,
         {{0, 64 * KiB}, {(2 * 64 + 5) * MiB + 777, 100 * KiB}}},
    };
    for (DiskCompression compression : {DiskCompression::zstd, DiskCompression::xz})
        for (const auto& layout : layouts) {
            INFO(name_of(compression) << ": " << layout.name);
            test::TempDir tmp;
            make_sparse(tmp.path / "d.raw", layout.size, layout.pieces);
            auto summary =
                outputs::compress_disk(tmp.path / "d.raw", tmp.path / "d.out", compression);
            CHECK(summary.raw_bytes == layout.size);
            CHECK(summary.output_bytes == fs::file_size(tmp.path / "d.out"));
            check_round_trip(tmp.path / "d.raw", tmp.path / "d.out", compression);
            outputs::compress_disk(tmp.path / "d.raw", tmp.path / "again.out", compression);
            CHECK(read_file(tmp.path / "d.out") == read_file(tmp.path / "again.out"));
        }
}

TEST_CASE("long zero runs are written as canned frames, short ones are compressed with the data",
          "[compress]") {
    test::TempDir tmp;
    make_sparse(tmp.path / "d.raw", 200 * MiB + 12345,
                {{0, 64 * KiB}, {(2 * 64 + 5) * MiB + 777, 1 * MiB}});
    auto summary =
        outputs::compress_disk(tmp.path / "d.raw", tmp.path / "d.zst", DiskCompression::zstd);
    // 133 MiB - 64 KiB of zeros after the first data: 2 x 64 MiB + 4 x 1 MiB
    // frames (no 8 MiB one), the odd 960 KiB compressed with the data before. 66 MiB + 8249
    // bytes after the second: 1 x 64 MiB + 2 x 1 MiB.
    CHECK(summary.zero_frames == 2 + 4 + 1 + 2);
    CHECK(summary.frames == 2);
    CHECK(summary.data_bytes == 64 * KiB + 960 * KiB + 4 * KiB + 1 * MiB + 8249);
    make_sparse(tmp.path / "short.raw", 4 * MiB, {{0, 1 * MiB}, {2 * MiB - 4096, 4096}});
    summary = outputs::compress_disk(tmp.path / "short.raw", tmp.path / "short.zst",
                                     DiskCompression::zstd);
    CHECK(summary.frames == 1);
    CHECK(summary.zero_frames == 2); // the 2 MiB hole at the end
}

TEST_CASE("the output depends on the bytes, not on where the file system keeps holes",
          "[compress]") {
    test::TempDir tmp;
    make_sparse(tmp.path / "sparse.raw", 70 * MiB, {{1 * MiB, 200 * KiB}});
    {
        // The same bytes with every zero written out: no holes at all.
        std::string bytes = read_file(tmp.path / "sparse.raw");
        test::write(tmp.path / "dense.raw", bytes);
    }
    for (DiskCompression compression : {DiskCompression::zstd, DiskCompression::xz}) {
        INFO(name_of(compression));
        outputs::compress_disk(tmp.path / "sparse.raw", tmp.path / "sparse.out", compression);
        outputs::compress_disk(tmp.path / "dense.raw", tmp.path / "dense.out", compression);
        CHECK(read_file(tmp.path / "sparse.out") == read_file(tmp.path / "dense.out"));
    }
}

TEST_CASE("frame encoders give the same bytes however the input is split", "[compress]") {
    std::string data = sample_data(1 * MiB + 17, 7);
    for (DiskCompression compression : {DiskCompression::zstd, DiskCompression::xz}) {
        INFO(name_of(compression));
        std::string whole, pieces;
        auto one = outputs::make_frame_encoder(
            compression, [&](const char* d, size_t n) { whole.append(d, n); });
        one->write(data.data(), data.size());
        one->end_frame();
        auto many = outputs::make_frame_encoder(
            compression, [&](const char* d, size_t n) { pieces.append(d, n); });
        for (size_t at = 0, step = 1; at < data.size(); at += step, step = step * 3 % 100003)
            many->write(data.data() + at, std::min(step, data.size() - at));
        many->end_frame();
        CHECK(whole == pieces);
    }
}

TEST_CASE("the zstd and xz CLIs read the concatenated frames back to the raw disk", "[compress]") {
    test::TempDir tmp;
    fs::path raw = tmp.path / "d.raw";
    make_sparse(raw, 150 * MiB + 4095,
                {{0, 200 * KiB}, {5 * MiB + 1, 300 * KiB}, {140 * MiB, 200 * KiB}});
    exec::SystemRunner runner;
    for (DiskCompression compression : {DiskCompression::zstd, DiskCompression::xz}) {
        const char* tool = name_of(compression);
        if (!exec::tool_exists(tool)) {
            WARN(tool << " is not installed: the CLI check is skipped");
            continue;
        }
        fs::path compressed = tmp.path / (std::string("d.raw.") +
                                          (compression == DiskCompression::zstd ? "zst" : "xz"));
        outputs::compress_disk(raw, compressed, compression);
        exec::Command back{{tool, "-d", "-c", compressed.string()}};
        back.stdout_path = (tmp.path / "back.raw").string();
        runner.run(back);
        CHECK(sha256_file(tmp.path / "back.raw") == sha256_file(raw));
        fs::remove(tmp.path / "back.raw");
    }
}

TEST_CASE("a 40 GiB disk with 1 MiB of data compresses in well under a second", "[compress]") {
    test::TempDir tmp;
    fs::path raw = tmp.path / "d.raw";
    make_sparse(raw, 40 * GiB, {{1 * MiB, 512 * KiB}, {20 * GiB + 1, 512 * KiB}});
    for (DiskCompression compression : {DiskCompression::zstd, DiskCompression::xz}) {
        auto start = std::chrono::steady_clock::now();
        auto summary = outputs::compress_disk(raw, tmp.path / "d.out", compression);
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        WARN(name_of(compression) << ": 40 GiB sparse disk compressed in " << took.count()
                                  << " s to " << summary.output_bytes << " bytes");
        CHECK(summary.raw_bytes == 40 * GiB);
        CHECK(summary.data_bytes <= 3 * MiB);
        // 1 MiB of zeros, 20 GiB - 1.5 MiB, then 20 GiB - 516 KiB: 319 x 64 MiB,
        // 7 x 8 MiB and 6 or 7 x 1 MiB frames each.
        CHECK(summary.zero_frames == 1 + (319 + 7 + 6) + (319 + 7 + 7));
        // Decompressing 40 GiB takes too long for the fast suite: the frames
        // are checked on the 200 MiB layouts above. Here the sizes add up.
        CHECK(summary.output_bytes == fs::file_size(tmp.path / "d.out"));
    }
}
