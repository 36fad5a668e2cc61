#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace lethe {

std::string read_file(const std::filesystem::path& path);

// Writes `content` to `path` through a temporary file in the same directory,
// renamed into place only when complete, so readers never see half a file.
void write_file_atomic(const std::filesystem::path& path, const std::string& content, unsigned mode = 0644);

// Copies `source` to a new file `dest` (mode 0644), holes kept, synced; a
// failed or short write fails with the path and the errno text.
void copy_file(const std::filesystem::path& source, const std::filesystem::path& dest);

// Copies `source` into the open file `dest_fd` at `offset`, skipping holes so
// a sparse source stays sparse in the destination.
void copy_sparse_into(const std::filesystem::path& source, int dest_fd, uint64_t offset);

// Visits a file's extents in order: visit(offset, length, true) for ranges
// that hold data and visit(offset, length, false) for holes, which read as
// zeros. `name` is for errors.
void walk_extents(int fd, const std::string& name, const std::function<void(uint64_t, uint64_t, bool)>& visit);

// Reads `length` bytes at `offset` in chunks, handing each to `consume`.
void read_range(int fd, const std::string& name, uint64_t offset, uint64_t length,
                const std::function<void(const char*, size_t)>& consume);

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

// A private directory made with mkdtemp(3) in `base` (default: $TMPDIR or
// /tmp), removed with everything in it when the value goes: for scratch files
// that must not outlive a command, on every exit path.
class ScratchDir {
public:
    explicit ScratchDir(const std::string& prefix, const std::filesystem::path& base = {});
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

} // namespace lethe
