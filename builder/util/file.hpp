#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace lethe {

std::string read_file(const std::filesystem::path& path);

// Writes `content` to `path` through a temporary file in the same directory,
// renamed into place only when complete, so readers never see half a file.
void write_file_atomic(const std::filesystem::path& path, const std::string& content, unsigned mode = 0644);

// Copies `source` into the open file `dest_fd` at `offset`, skipping holes so
// a sparse source stays sparse in the destination.
void copy_sparse_into(const std::filesystem::path& source, int dest_fd, uint64_t offset);

// Lower-case hex SHA-256 of a file's bytes.
std::string sha256_file(const std::filesystem::path& path);
std::string sha256_hex(const std::string& bytes);

// A file descriptor closed on scope exit.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd();
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_;
};

} // namespace lethe
