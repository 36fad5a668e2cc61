#include "util/file.hpp"
#include "util/paths.hpp"
#include "util/sha256.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

// A file of `size` bytes that is a hole but for `data` at `offset`.
void make_sparse(const fs::path& path, uint64_t size, uint64_t offset, const std::string& data) {
    Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(fd.get() >= 0);
    REQUIRE(ftruncate(fd.get(), static_cast<off_t>(size)) == 0);
    REQUIRE(pwrite(fd.get(), data.data(), data.size(), static_cast<off_t>(offset)) == static_cast<ssize_t>(data.size()));
}

uint64_t allocated_bytes(const fs::path& path) {
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    return static_cast<uint64_t>(st.st_blocks) * 512;
}

} // namespace

TEST_CASE("sha256 matches the FIPS 180-2 vectors", "[util]") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha256_file hashes holes as the zeros they read as", "[util]") {
    test::TempDir tmp;
    const uint64_t size = 5 * 1024 * 1024 + 123, offset = 3 * 1024 * 1024 + 7;
    make_sparse(tmp.path / "sparse", size, offset, "lethe");
    std::string bytes(size, '\0');
    bytes.replace(offset, 5, "lethe");
    CHECK(sha256_file(tmp.path / "sparse") == sha256_hex(bytes));
    make_sparse(tmp.path / "holes-only", size, 0, "");
    CHECK(sha256_file(tmp.path / "holes-only") == sha256_hex(std::string(size, '\0')));
    test::write(tmp.path / "dense", bytes);
    CHECK(sha256_file(tmp.path / "dense") == sha256_hex(bytes));
}

TEST_CASE("copy_sparse_into copies data at an offset and leaves holes as holes", "[util]") {
    test::TempDir tmp;
    const uint64_t size = 64 * 1024 * 1024, offset = 40 * 1024 * 1024;
    make_sparse(tmp.path / "source", size, offset, "payload");
    make_sparse(tmp.path / "disk", 2 * size, 0, "");
    {
        Fd disk(open((tmp.path / "disk").c_str(), O_WRONLY | O_CLOEXEC));
        copy_sparse_into(tmp.path / "source", disk.get(), size);
    }
    std::string disk = read_file(tmp.path / "disk");
    CHECK(disk.substr(size + offset, 7) == "payload");
    CHECK(disk.find_first_not_of('\0') == size + offset);
    CHECK(allocated_bytes(tmp.path / "disk") < 1024 * 1024);
}

TEST_CASE("is_within compares whole path components", "[util]") {
    CHECK(is_within("/var/lib", "/var/lib"));
    CHECK(is_within("/var/lib/app", "/var/lib"));
    CHECK(is_within("/etc", "/"));
    CHECK_FALSE(is_within("/var/lib2", "/var/lib"));
    CHECK_FALSE(is_within("/var", "/var/lib"));
}
