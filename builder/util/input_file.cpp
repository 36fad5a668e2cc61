#include "util/input_file.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/size.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lethe {
namespace {

const char* file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

[[noreturn]] void refuse(std::string_view kind, const std::string& path, const std::string& why) {
    throw Error(ExitCode::bad_input, fmt::format("{} '{}' {}", kind, path, why));
}

void check_regular(const struct stat& st, std::string_view kind, const std::string& path) {
    if (!S_ISREG(st.st_mode))
        refuse(kind, path, fmt::format("is {}, not a file", file_kind(st.st_mode)));
}

// `size` is what is known of it: all of it from stat, or what was read so far.
[[noreturn]] void too_large(std::string_view kind, const std::string& path, const std::string& size,
                            uint64_t max_bytes) {
    refuse(kind, path,
           fmt::format("is {}; lethe reads a {} of at most {} ({} bytes)", size, kind,
                       human_size(max_bytes), max_bytes));
}

} // namespace

std::string read_input_file(const std::string& path, uint64_t max_bytes, std::string_view kind) {
    // stat first: opening a FIFO or a device can block or have effects of its own.
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        refuse(kind, path, fmt::format("cannot be opened: {}", std::strerror(errno)));
    check_regular(st, kind, path);
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) refuse(kind, path, fmt::format("cannot be opened: {}", std::strerror(errno)));
    if (fstat(fd.get(), &st) != 0) fail_errno("cannot stat", path);
    check_regular(st, kind, path); // it may have been replaced since the stat
    if (static_cast<uint64_t>(st.st_size) > max_bytes)
        too_large(kind, path, fmt::format("{} ({} bytes)", human_size(st.st_size), st.st_size),
                  max_bytes);
    // Read past the size stat gave: files in /proc say 0, others may grow.
    // Reserved up front and the buffer wiped after, as the file may be an
    // identity: no stray copies of it are left behind.
    std::string text;
    text.reserve(static_cast<size_t>(st.st_size) + 1);
    char buffer[65536];
    while (true) {
        ssize_t n = read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("cannot read", path);
        if (n == 0) break;
        text.append(buffer, static_cast<size_t>(n));
        if (text.size() > max_bytes)
            too_large(kind, path, "more than " + human_size(max_bytes), max_bytes);
    }
    explicit_bzero(buffer, sizeof buffer);
    return text;
}

} // namespace lethe
