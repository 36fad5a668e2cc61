#include "initrd/tree_ops.hpp"

#include "initrd/failure.hpp"
#include "initrd/fs_util.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <string>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

namespace lethe::init {
namespace {

struct DirCloser {
    void operator()(DIR* dir) const { closedir(dir); }
};

// The entries of an open directory, without "." and "..".
std::vector<std::string> list_directory(int dirfd, const std::string& path) {
    int copy = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    std::unique_ptr<DIR, DirCloser> dir(copy < 0 ? nullptr : fdopendir(copy));
    if (!dir) fail_errno("cannot read directory", path);
    std::vector<std::string> names;
    while (dirent* entry = readdir(dir.get())) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    return names;
}

void copy_contents(int from, int to, const std::string& path) {
    // sendfile copies in the kernel; fall back to read/write where it is refused.
    for (;;) {
        ssize_t n = sendfile(to, from, nullptr, 1 << 20);
        if (n == 0) return;
        if (n > 0) continue;
        if (errno == EINTR) continue;
        if (errno != EINVAL && errno != ENOSYS) fail_errno("cannot copy", path);
        break;
    }
    char buffer[65536];
    for (;;) {
        ssize_t n = read(from, buffer, sizeof buffer);
        if (n == 0) return;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("cannot read", path);
        for (ssize_t done = 0; done < n;) {
            ssize_t written = write(to, buffer + done, static_cast<size_t>(n - done));
            if (written < 0 && errno == EINTR) continue;
            if (written < 0) fail_errno("cannot write a copy of", path);
            done += written;
        }
    }
}

// Owner before mode: chown clears set-user-ID bits that chmod then restores.
void copy_attributes(int fd, const struct stat& info, const std::string& path) {
    if (fchown(fd, info.st_uid, info.st_gid) != 0) fail_errno("cannot change the owner of", path);
    if (fchmod(fd, info.st_mode & 07777) != 0) fail_errno("cannot change the mode of", path);
    const timespec times[2] = {info.st_atim, info.st_mtim};
    if (futimens(fd, times) != 0) fail_errno("cannot set the times of", path);
}

void remove_existing(int dirfd, const std::string& name, const std::string& path) {
    if (unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) fail_errno("cannot replace", path);
}

void copy_file(int from_dir, int to_dir, const std::string& name, const struct stat& info,
               const std::string& path) {
    Fd from(openat(from_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (from.get() < 0) fail_errno("cannot open", path);
    remove_existing(to_dir, name, path);
    Fd to(openat(to_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (to.get() < 0) fail_errno("cannot create a copy of", path);
    copy_contents(from.get(), to.get(), path);
    copy_attributes(to.get(), info, path);
}

void copy_symlink(int from_dir, int to_dir, const std::string& name, const struct stat& info,
                  const std::string& path) {
    std::vector<char> target(static_cast<size_t>(info.st_size) + 1);
    ssize_t length = readlinkat(from_dir, name.c_str(), target.data(), target.size());
    if (length < 0 || static_cast<size_t>(length) >= target.size()) fail_errno("cannot read link", path);
    target[static_cast<size_t>(length)] = '\0';
    remove_existing(to_dir, name, path);
    if (symlinkat(target.data(), to_dir, name.c_str()) != 0) fail_errno("cannot create link", path);
    if (fchownat(to_dir, name.c_str(), info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
        fail_errno("cannot change the owner of", path);
    const timespec times[2] = {info.st_atim, info.st_mtim};
    if (utimensat(to_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        fail_errno("cannot set the times of", path);
}

void copy_node(int to_dir, const std::string& name, const struct stat& info, const std::string& path) {
    remove_existing(to_dir, name, path);
    if (mknodat(to_dir, name.c_str(), info.st_mode, info.st_rdev) != 0) fail_errno("cannot create", path);
    if (fchownat(to_dir, name.c_str(), info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW) != 0 ||
        fchmodat(to_dir, name.c_str(), info.st_mode & 07777, 0) != 0)
        fail_errno("cannot set the owner and mode of", path);
    const timespec times[2] = {info.st_atim, info.st_mtim};
    if (utimensat(to_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        fail_errno("cannot set the times of", path);
}

// DESTINATION_DIR/NAME becomes a copy of the open directory FROM.
void copy_directory(int from, const struct stat& info, int to_parent, const std::string& name,
                    const std::string& path);

void copy_entry(int from_dir, int to_dir, const std::string& name, const std::string& path) {
    struct stat info {};
    if (fstatat(from_dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("cannot inspect", path);
    if (S_ISDIR(info.st_mode)) {
        Fd child(openat(from_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (child.get() < 0) fail_errno("cannot open", path);
        copy_directory(child.get(), info, to_dir, name, path);
    } else if (S_ISREG(info.st_mode)) {
        copy_file(from_dir, to_dir, name, info, path);
    } else if (S_ISLNK(info.st_mode)) {
        copy_symlink(from_dir, to_dir, name, info, path);
    } else {
        copy_node(to_dir, name, info, path);
    }
}

void copy_directory(int from, const struct stat& info, int to_parent, const std::string& name,
                    const std::string& path) {
    struct stat existing {};
    bool present = fstatat(to_parent, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (present && !S_ISDIR(existing.st_mode)) remove_existing(to_parent, name, path);
    if ((!present || !S_ISDIR(existing.st_mode)) && mkdirat(to_parent, name.c_str(), 0700) != 0)
        fail_errno("cannot create directory", path);
    Fd to(openat(to_parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (to.get() < 0) fail_errno("cannot open", path);
    for (const auto& entry : list_directory(from, path)) copy_entry(from, to.get(), entry, path + "/" + entry);
    // Last, so copying the contents does not change the directory's mtime again.
    copy_attributes(to.get(), info, path);
}

bool remove_below(int dirfd, dev_t device) {
    bool empty = true;
    for (const auto& name : list_directory(dirfd, "")) {
        struct stat info {};
        if (fstatat(dirfd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 || info.st_dev != device) {
            empty = false; // another file system mounted here: leave it
            continue;
        }
        if (S_ISDIR(info.st_mode)) {
            Fd child(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            bool child_empty = child.get() >= 0 && remove_below(child.get(), device);
            if (!child_empty || unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0) empty = false;
        } else if (unlinkat(dirfd, name.c_str(), 0) != 0) {
            empty = false;
        }
    }
    return empty;
}

} // namespace

void copy_tree(const std::string& source, const std::string& destination) {
    Fd from(open(source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (from.get() < 0) fail_errno("cannot open", source);
    struct stat info {};
    if (fstat(from.get(), &info) != 0) fail_errno("cannot inspect", source);
    size_t slash = destination.find_last_of('/');
    std::string parent = slash == 0 ? "/" : destination.substr(0, slash);
    Fd to_parent(open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (slash == std::string::npos || to_parent.get() < 0) fail_errno("cannot open", parent);
    copy_directory(from.get(), info, to_parent.get(), destination.substr(slash + 1), destination);
}

void remove_tree_contents(const std::string& directory) {
    Fd dir(open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct stat info {};
    if (dir.get() < 0 || fstat(dir.get(), &info) != 0) return;
    try {
        remove_below(dir.get(), info.st_dev);
    } catch (const Failure&) {
        // best effort: what is left only costs memory
    }
}

} // namespace lethe::init
