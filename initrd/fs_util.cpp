#include "initrd/fs_util.hpp"

#include "initrd/failure.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lethe::init {

std::string join(const std::string& root, const std::string& path) {
    std::string out = root;
    while (!out.empty() && out.back() == '/') out.pop_back();
    size_t start = path.find_first_not_of('/');
    if (start == std::string::npos) return out.empty() ? "/" : out;
    return out + "/" + path.substr(start);
}

bool exists(const std::string& path) {
    struct stat info {};
    return lstat(path.c_str(), &info) == 0;
}

void make_directories(const std::string& path, mode_t mode) {
    for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        std::string prefix = path.substr(0, slash);
        if (!prefix.empty() && mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST)
            fail_errno("cannot create directory", prefix);
        if (slash == std::string::npos) return;
    }
}

void ensure_directory(const std::string& path, mode_t mode) {
    make_directories(path, 0755);
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) fail_errno("cannot inspect", path);
    if (!S_ISDIR(info.st_mode)) fail("not a directory: '" + path + "'");
    // chmod, not mkdir's mode: the umask would drop bits, and 1777 needs the sticky bit.
    if (chmod(path.c_str(), mode) != 0) fail_errno("cannot change the mode of", path);
}

void ensure_file(const std::string& path, mode_t mode) {
    if (exists(path)) return;
    size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) make_directories(path.substr(0, slash), 0755);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) fail_errno("cannot create", path);
    close(fd);
}

std::string read_text_file(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno("cannot open", path);
    std::string text;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) text.append(buffer, static_cast<size_t>(n));
    int saved = errno;
    close(fd);
    errno = saved;
    if (n < 0) fail_errno("cannot read", path);
    return text;
}

void mount_or_fail(const std::string& source, const std::string& target, const char* fstype,
                   unsigned long flags, const std::string& data) {
    const char* options = data.empty() ? nullptr : data.c_str();
    if (mount(source.c_str(), target.c_str(), fstype, flags, options) != 0)
        fail_errno("cannot mount '" + source + "'" + (fstype ? std::string(" (") + fstype + ")" : "") + " on",
                   target);
}

} // namespace lethe::init
