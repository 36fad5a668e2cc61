#pragma once
// What many unit tests need: a scratch directory removed afterwards, and a
// one-line way to put a file in it.

#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace lethe::test {

// The top of the source tree: templates/, images/, layouts/.
std::filesystem::path source_dir();

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "lethe-test-XXXXXX").string();
        path = mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

// Writes `text` to `path`, making its parent directories.
inline void write(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// A file's bytes ("" when it cannot be read).
inline std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// lstat(2) of a path that must exist.
inline struct stat lstat_of(const std::filesystem::path& path) {
    struct stat info {};
    REQUIRE(lstat(path.c_str(), &info) == 0);
    return info;
}

// The message of the lethe::Error that `action` throws, which must be bad input (exit status 2).
inline std::string bad_input_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        return e.what();
    }
    FAIL("no error");
    return "";
}

} // namespace lethe::test
