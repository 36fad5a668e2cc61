#pragma once
// What the verity tests share: data files of known content, hash images
// made by the real `veritysetup format` (Debian package cryptsetup-bin, a
// required tool of the suite), and the bytes flipped to corrupt them.

#include "exec/command_runner.hpp"
#include "util/file.hpp"
#include "verity/hash_tree.hpp"
#include "verity/veritysetup.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace lethe::test {

inline constexpr const char* test_salt =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
inline constexpr const char* test_uuid = "12345678-1234-4234-8234-123456789abc";

// BLOCKS blocks of 4096 bytes: byte i is (i * 7 + 3) mod 256, then the block
// number in the first 8 bytes of each block, so no two blocks are alike.
inline void write_data_file(const std::filesystem::path& path, uint64_t blocks) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(fd.get() >= 0);
    std::string block(4096, '\0');
    for (size_t i = 0; i < block.size(); ++i)
        block[i] = static_cast<char>((i * 7 + 3) & 0xff);
    uint64_t written = 0;
    for (uint64_t b = 0; b < blocks; ++b) {
        if (b > 0) // block 0 keeps the plain pattern: its digest is a worked example
            for (int i = 0; i < 8; ++i)
                block[static_cast<size_t>(i)] = static_cast<char>(b >> (8 * i));
        written += pwrite(fd.get(), block.data(), block.size(), static_cast<off_t>(b * 4096)) == 4096;
    }
    REQUIRE(written == blocks);
}

inline std::string veritysetup_format(const std::filesystem::path& data,
                                      const std::filesystem::path& hash,
                                      const std::string& salt = test_salt,
                                      const std::string& uuid = test_uuid) {
    REQUIRE(exec::tool_exists("veritysetup")); // cryptsetup-bin: .ci/setup installs it
    exec::SystemRunner runner;
    return verity::format(runner, {data, hash, salt, uuid});
}

inline void flip_byte(const std::filesystem::path& path, uint64_t offset) {
    Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    unsigned char byte = 0;
    REQUIRE(pread(fd.get(), &byte, 1, static_cast<off_t>(offset)) == 1);
    byte ^= 0x40;
    REQUIRE(pwrite(fd.get(), &byte, 1, static_cast<off_t>(offset)) == 1);
}

// A whole file as a region, with the file open as long as the value lives.
struct FileRegion {
    Fd fd;
    verity::Region region;
    FileRegion(const std::filesystem::path& path, const std::string& name)
        : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        REQUIRE(fd.get() >= 0);
        region = {fd.get(), 0, std::filesystem::file_size(path), name};
    }
};

} // namespace lethe::test
