#include "util/file.hpp"

#include "util/error.hpp"
#include "util/interrupt.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <vector>

namespace lethe {

Fd::~Fd() {
    if (fd_ >= 0) close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) close(fd_);
        fd_ = other.release();
    }
    return *this;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail_errno("cannot open", path.string());
    std::stringstream text;
    text << in.rdbuf();
    if (in.bad()) fail_errno("cannot read", path.string());
    return text.str();
}

void write_file_atomic(const std::filesystem::path& path, const std::string& content, unsigned mode) {
    std::string temp = path.string() + ".tmp-XXXXXX";
    Fd fd(mkstemp(temp.data()));
    if (fd.get() < 0) fail_errno("cannot create", temp);
    size_t written = 0;
    while (written < content.size()) {
        ssize_t n = write(fd.get(), content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            unlink(temp.c_str());
            fail_errno("cannot write", temp, err);
        }
        written += static_cast<size_t>(n);
    }
    if (fchmod(fd.get(), mode) != 0 || fsync(fd.get()) != 0 || rename(temp.c_str(), path.c_str()) != 0) {
        int err = errno;
        unlink(temp.c_str());
        fail_errno("cannot write", path.string(), err);
    }
}

void walk_extents(int fd, const std::string& name, const std::function<void(uint64_t, uint64_t, bool)>& visit) {
    struct stat st {};
    if (fstat(fd, &st) != 0) fail_errno("cannot stat", name);
    const off_t end = st.st_size;
    off_t pos = 0;
    while (pos < end) {
        off_t data = lseek(fd, pos, SEEK_DATA);
        if (data < 0 && errno != ENXIO) fail_errno("cannot seek in", name);
        if (data < 0 || data > end) data = end; // ENXIO: only a hole is left
        if (data > pos) visit(pos, data - pos, false);
        if (data == end) break;
        off_t hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0 || hole > end) hole = end;
        visit(data, hole - data, true);
        pos = hole;
    }
}

void read_range(int fd, const std::string& name, uint64_t offset, uint64_t length,
                const std::function<void(const char*, size_t)>& consume) {
    std::vector<char> buffer(1 << 20);
    for (uint64_t done = 0; done < length;) {
        check_interrupted(); // copies and hashes of whole disks take a while
        size_t chunk = static_cast<size_t>(std::min<uint64_t>(length - done, buffer.size()));
        ssize_t n = pread(fd, buffer.data(), chunk, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_errno("cannot read", name, n == 0 ? EIO : errno);
        consume(buffer.data(), static_cast<size_t>(n));
        done += static_cast<uint64_t>(n);
    }
}

void copy_file(const std::filesystem::path& source, const std::filesystem::path& dest) {
    Fd out(open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.get() < 0) fail_errno("cannot create", dest.string());
    copy_sparse_into(source, out.get(), 0);
    struct stat st {};
    if (stat(source.c_str(), &st) != 0) fail_errno("cannot stat", source.string());
    // A hole at the end is no write: the size comes from ftruncate.
    if (ftruncate(out.get(), st.st_size) != 0 || fsync(out.get()) != 0 || close(out.release()) != 0)
        fail_errno("cannot write", dest.string());
}

void copy_sparse_into(const std::filesystem::path& source, int dest_fd, uint64_t offset) {
    Fd in(open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) fail_errno("cannot open", source.string());
    walk_extents(in.get(), source.string(), [&](uint64_t start, uint64_t length, bool data) {
        if (!data) return; // holes stay holes in the destination
        uint64_t at = offset + start;
        read_range(in.get(), source.string(), start, length, [&](const char* bytes, size_t n) {
            for (size_t done = 0; done < n;) {
                ssize_t w = pwrite(dest_fd, bytes + done, n - done, static_cast<off_t>(at + done));
                if (w < 0 && errno == EINTR) continue;
                if (w < 0) fail_errno("cannot write a copy of", source.string());
                if (w == 0) fail_errno("cannot write a copy of", source.string(), EIO);
                done += static_cast<size_t>(w);
            }
            at += n;
        });
    });
}

ScratchDir::ScratchDir(const std::string& prefix, const std::filesystem::path& base) {
    std::filesystem::path dir = base.empty() ? std::filesystem::temp_directory_path() : base;
    std::string pattern = (dir / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) fail_errno("cannot create a directory in", dir.string());
    path_ = pattern;
}

ScratchDir::~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

} // namespace lethe
