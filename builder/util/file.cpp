#include "util/file.hpp"

#include "util/error.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
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

void copy_sparse_into(const std::filesystem::path& source, int dest_fd, uint64_t offset) {
    Fd in(open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) fail_errno("cannot open", source.string());
    struct stat st {};
    if (fstat(in.get(), &st) != 0) fail_errno("cannot stat", source.string());
    std::vector<char> buffer(1 << 20);
    off_t end = st.st_size;
    off_t data = lseek(in.get(), 0, SEEK_DATA);
    while (data >= 0 && data < end) {
        off_t hole = lseek(in.get(), data, SEEK_HOLE);
        if (hole < 0) hole = end;
        for (off_t pos = data; pos < hole;) {
            size_t chunk = static_cast<size_t>(std::min<off_t>(hole - pos, static_cast<off_t>(buffer.size())));
            ssize_t n = pread(in.get(), buffer.data(), chunk, pos);
            if (n <= 0) fail_errno("cannot read", source.string(), n == 0 ? EIO : errno);
            for (ssize_t done = 0; done < n;) {
                ssize_t w = pwrite(dest_fd, buffer.data() + done, static_cast<size_t>(n - done),
                                   static_cast<off_t>(offset) + pos + done);
                if (w < 0) fail_errno("cannot write a copy of", source.string());
                done += w;
            }
            pos += n;
        }
        data = lseek(in.get(), hole, SEEK_DATA);
    }
    if (data < 0 && errno != ENXIO) fail_errno("cannot seek in", source.string());
}

std::string sha256_hex(const std::string& bytes) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

std::string sha256_file(const std::filesystem::path& path) {
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno("cannot open", path.string());
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::vector<unsigned char> buffer(1 << 20);
    for (;;) {
        ssize_t n = read(fd.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("cannot read", path.string());
        if (n == 0) break;
        crypto_hash_sha256_update(&state, buffer.data(), static_cast<size_t>(n));
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state, digest);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

} // namespace lethe
