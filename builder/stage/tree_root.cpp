#include "stage/tree_root.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

std::vector<std::string> components(const std::string& relative) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start < relative.size()) {
        size_t end = std::min(relative.find('/', start), relative.size());
        parts.push_back(relative.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i)
        out += (i ? "/" : "") + parts[i];
    return out;
}

// glibc 2.36 has no wrapper for openat2 (Linux 5.6).
long call_openat2(int dir_fd, const char* path, open_how* how) {
    return syscall(SYS_openat2, dir_fd, path, how, sizeof *how);
}

std::string read_link_at(int dir_fd, const std::string& name, const std::string& shown) {
    std::string target(256, '\0');
    for (;;) {
        ssize_t n = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0) fail_errno("cannot read the link", shown);
        if (static_cast<size_t>(n) < target.size()) return target.substr(0, static_cast<size_t>(n));
        target.resize(target.size() * 2);
    }
}

// Below a directory fd, names only: nothing here can leave the tree.
void remove_entry_at(int dir_fd, const std::string& name, const std::string& shown) {
    struct stat st {};
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;
        fail_errno("cannot stat", shown);
    }
    if (S_ISDIR(st.st_mode)) {
        Fd child(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        DIR* dir = child.get() < 0 ? nullptr : fdopendir(child.get());
        if (!dir) fail_errno("cannot read the directory", shown);
        int fd = child.release(); // closedir closes it
        std::vector<std::string> names;
        while (dirent* entry = readdir(dir))
            if (std::string n = entry->d_name; n != "." && n != "..") names.push_back(n);
        for (const auto& n : names)
            remove_entry_at(fd, n, shown + "/" + n);
        closedir(dir);
    }
    if (unlinkat(dir_fd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0)
        fail_errno("cannot remove", shown);
}

std::string temporary_name() {
    static std::atomic<unsigned> counter{0};
    return fmt::format(".lethe-tmp-{}-{}", getpid(), counter++);
}

} // namespace

std::string relative_in_tree(const std::string& path) {
    std::string out;
    for (const auto& part : components(path))
        if (!part.empty() && part != ".") out += (out.empty() ? "" : "/") + part;
    return out;
}

TreeRoot::TreeRoot(const fs::path& root, std::string label)
    : label_(std::move(label)), root_(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (root_.get() < 0) fail_errno("cannot open", root.string());
    path_ = fs::canonical(root);
}

std::string TreeRoot::shown(const std::string& path) const {
    return fmt::format("'/{}' in {}", relative_in_tree(path), label_);
}

int TreeRoot::resolve(const std::string& path, int flags, unsigned mode, Follow follow) const {
    std::string relative = relative_in_tree(path);
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
                  (follow == Follow::never ? RESOLVE_NO_SYMLINKS : 0);
    // EAGAIN: a rename raced with a ".." lookup, which RESOLVE_IN_ROOT will not guess about.
    for (int attempt = 0; attempt < 16; ++attempt) {
        long fd = call_openat2(root_.get(), relative.empty() ? "." : relative.c_str(), &how);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno == ENOSYS) fail("lethe needs Linux 5.6 or later: openat2(2) is missing");
        if (errno != EINTR && errno != EAGAIN) return -errno;
    }
    return -EAGAIN;
}

// Walks the path a component at a time to say which link is to blame.
std::optional<std::string> TreeRoot::first_link(const std::string& path) const {
    auto parts = components(relative_in_tree(path));
    for (size_t i = 1; i <= parts.size(); ++i) {
        std::string prefix = join(parts, i), parent_path = join(parts, i - 1);
        Fd dir(resolve(parent_path, O_PATH | O_DIRECTORY, 0, Follow::in_root));
        struct stat st {};
        if (dir.get() < 0 ||
            fstatat(dir.get(), parts[i - 1].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return std::nullopt;
        if (!S_ISLNK(st.st_mode)) continue;
        std::string target = read_link_at(dir.get(), parts[i - 1], shown(prefix));
        int fd = resolve(prefix, O_PATH, 0, Follow::in_root);
        std::string where = fmt::format("'/{}' is a symlink to '{}'", prefix, target);
        if (fd == -ELOOP) return where + ", a loop (or a chain of more than 40 links)";
        if (fd < 0) return where + fmt::format(", which leads nowhere inside {}", label_);
        close(fd);
        return where;
    }
    return std::nullopt;
}

void TreeRoot::refuse(const std::string& what, const std::string& path, int err,
                      Follow follow) const {
    std::string link = first_link(path).value_or("");
    std::string action = fmt::format("cannot {} {}", what, shown(path));
    if (err == ELOOP && follow == Follow::never && !link.empty())
        fail_input("{}: {}, and lethe follows no link there", action, link);
    if ((err == ELOOP || err == ENOENT || err == ENOTDIR) && !link.empty())
        fail_input(
            "{}: {} (links resolve inside the image, as it would boot, never on the build host)",
            action, link);
    if (err == ENOTDIR) fail_input("{}: a part of it is not a directory", action);
    if (err == ELOOP) fail_input("{}: too many levels of symbolic links", action);
    fail("{}: {}", action, errno_text(err));
}

std::optional<Fd> TreeRoot::try_open(const std::string& path, int flags, unsigned mode,
                                     Follow follow) const {
    int fd = resolve(path, flags, mode, follow);
    // Missing, as the image would see it; creating through a link to nothing is refused.
    if ((fd == -ENOENT || fd == -ENOTDIR) && !(flags & O_CREAT)) return std::nullopt;
    if (fd < 0) refuse("open", path, -fd, follow);
    return Fd(fd);
}

Fd TreeRoot::open(const std::string& path, int flags, unsigned mode, Follow follow) const {
    int fd = resolve(path, flags, mode, follow);
    if (fd < 0) refuse("open", path, -fd, follow);
    return Fd(fd);
}

TreeRoot::Parent TreeRoot::parent(const std::string& path, Follow follow) const {
    auto parts = components(relative_in_tree(path));
    if (parts.empty() || parts.back() == "..")
        fail("internal error: {} names no entry of its own", shown(path));
    std::string dir_path = join(parts, parts.size() - 1);
    int fd = resolve(dir_path, O_PATH | O_DIRECTORY, 0, follow);
    if (fd < 0) refuse("open", dir_path, -fd, follow);
    return {Fd(fd), parts.back()};
}

std::optional<std::string> TreeRoot::read(const std::string& path) const {
    auto found = try_open(path, O_PATH);
    if (!found) return std::nullopt;
    struct stat st {};
    if (fstat(found->get(), &st) != 0) fail_errno("cannot stat", shown(path));
    if (!S_ISREG(st.st_mode)) fail_input("cannot read {}: it is not a regular file", shown(path));
    // Reopened through /proc, so what was checked is what is read.
    Fd fd(::open(fmt::format("/proc/self/fd/{}", found->get()).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno("cannot open", shown(path));
    std::string content;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot read {}: {}", shown(path), errno_text(errno));
        if (n == 0) return content;
        content.append(buffer, static_cast<size_t>(n));
    }
}

std::optional<struct stat> TreeRoot::stat(const std::string& path) const {
    int fd = resolve(path, O_PATH, 0, Follow::in_root);
    if (fd == -ENOENT || fd == -ENOTDIR) return std::nullopt;
    if (fd < 0) refuse("stat", path, -fd, Follow::in_root);
    Fd owned(fd);
    struct stat st {};
    if (fstat(fd, &st) != 0) fail_errno("cannot stat", shown(path));
    return st;
}

std::optional<struct stat> TreeRoot::lstat(const std::string& path) const {
    auto parts = components(relative_in_tree(path));
    struct stat st {};
    if (parts.empty()) {
        if (fstat(root_.get(), &st) != 0) fail_errno("cannot stat", path_.string());
        return st;
    }
    std::string dir_path = join(parts, parts.size() - 1);
    int fd = resolve(dir_path, O_PATH | O_DIRECTORY, 0, Follow::in_root);
    if (fd == -ENOENT || fd == -ENOTDIR) return std::nullopt;
    if (fd < 0) refuse("stat", dir_path, -fd, Follow::in_root);
    Fd dir(fd);
    if (fstatat(fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
    if (errno == ENOENT) return std::nullopt;
    fail_errno("cannot stat", shown(path));
}

bool TreeRoot::is_directory(const std::string& path) const {
    auto st = stat(path);
    return st && S_ISDIR(st->st_mode);
}

bool TreeRoot::is_regular_file(const std::string& path) const {
    auto st = stat(path);
    return st && S_ISREG(st->st_mode);
}

void TreeRoot::make_directories(const std::string& path, unsigned mode,
                                std::optional<int64_t> epoch, Follow follow) const {
    auto parts = components(relative_in_tree(path));
    for (size_t i = 1; i <= parts.size(); ++i) {
        std::string prefix = join(parts, i);
        int fd = resolve(prefix, O_PATH | O_DIRECTORY, 0, follow);
        if (fd >= 0) {
            close(fd);
            continue;
        }
        if (fd != -ENOENT) refuse("create the directory", prefix, -fd, follow);
        Parent at = parent(prefix, follow);
        // EEXIST: a link to nothing stands there; the check below names it.
        if (mkdirat(at.dir.get(), at.name.c_str(), 0700) == 0) {
            if (fchmodat(at.dir.get(), at.name.c_str(), mode, 0) != 0)
                fail_errno("cannot chmod", shown(prefix));
            if (epoch) set_times(prefix, *epoch);
        } else if (errno != EEXIST) {
            fail("cannot create the directory {}: {}", shown(prefix), errno_text(errno));
        }
        fd = resolve(prefix, O_PATH | O_DIRECTORY, 0, follow);
        if (fd < 0) refuse("create the directory", prefix, -fd, follow);
        close(fd);
    }
}

void TreeRoot::write_atomic(const std::string& path, const std::string& content,
                            unsigned mode) const {
    Parent at = parent(path);
    std::string temp = temporary_name();
    Fd fd(openat(at.dir.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                 0600));
    if (fd.get() < 0) fail("cannot create a file beside {}: {}", shown(path), errno_text(errno));
    auto give_up = [&](int err) {
        unlinkat(at.dir.get(), temp.c_str(), 0);
        fail("cannot write {}: {}", shown(path), errno_text(err));
    };
    for (size_t done = 0; done < content.size();) {
        ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) give_up(n < 0 ? errno : EIO);
        done += static_cast<size_t>(n);
    }
    if (fchmod(fd.get(), mode) != 0 || close(fd.release()) != 0) give_up(errno);
    if (renameat(at.dir.get(), temp.c_str(), at.dir.get(), at.name.c_str()) != 0) give_up(errno);
}

void TreeRoot::symlink(const std::string& target, const std::string& path) const {
    Parent at = parent(path);
    if (symlinkat(target.c_str(), at.dir.get(), at.name.c_str()) != 0)
        fail("cannot create the link {}: {}", shown(path), errno_text(errno));
}

void TreeRoot::remove(const std::string& path) const {
    Parent at = parent(path);
    struct stat st {};
    if (fstatat(at.dir.get(), at.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;
        fail_errno("cannot stat", shown(path));
    }
    if (unlinkat(at.dir.get(), at.name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0)
        fail("cannot remove {}: {}", shown(path), errno_text(errno));
}

void TreeRoot::remove_all(const std::string& path, Follow follow) const {
    Parent at = parent(path, follow);
    remove_entry_at(at.dir.get(), at.name, shown(path));
}

void TreeRoot::rename(const std::string& from, const std::string& to, Follow follow) const {
    move_between(*this, from, *this, to, follow);
}

std::string TreeRoot::read_link(const std::string& path) const {
    Parent at = parent(path);
    return read_link_at(at.dir.get(), at.name, shown(path));
}

std::vector<std::string> TreeRoot::list(const std::string& path) const {
    Fd fd = open(path, O_RDONLY | O_DIRECTORY);
    DIR* dir = fdopendir(fd.get());
    if (!dir) fail_errno("cannot read the directory", shown(path));
    fd.release(); // closedir closes it
    std::vector<std::string> names;
    while (dirent* entry = readdir(dir))
        if (std::string name = entry->d_name; name != "." && name != "..") names.push_back(name);
    closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

void TreeRoot::set_times(const std::string& path, int64_t epoch) const {
    Parent at = parent(path);
    struct timespec times[2] = {{epoch, 0}, {epoch, 0}};
    if (utimensat(at.dir.get(), at.name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        fail_errno("cannot set the times of", shown(path));
}

void TreeRoot::chown(const std::string& path, uint32_t uid, uint32_t gid) const {
    Parent at = parent(path);
    if (fchownat(at.dir.get(), at.name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
        fail_errno("cannot change the owner of", shown(path));
}

void TreeRoot::chmod(const std::string& path, unsigned mode) const {
    Parent at = parent(path);
    // A link has no mode of its own: glibc refuses with EOPNOTSUPP rather than follow it.
    if (fchmodat(at.dir.get(), at.name.c_str(), mode, AT_SYMLINK_NOFOLLOW) != 0)
        fail_errno("cannot change the mode of", shown(path));
}

fs::path TreeRoot::host_path(const std::string& path) const {
    Fd fd = open(path, O_PATH);
    fs::path real = fs::read_symlink(fmt::format("/proc/self/fd/{}", fd.get()));
    auto [end, ignored] = std::mismatch(path_.begin(), path_.end(), real.begin(), real.end());
    if (end != path_.end())
        fail("internal error: {} resolved outside it, to '{}'", shown(path), real.string());
    return real;
}

void move_between(const TreeRoot& from_tree, const std::string& from, const TreeRoot& to_tree,
                  const std::string& to, Follow follow) {
    TreeRoot::Parent source = from_tree.parent(from, follow), target = to_tree.parent(to, follow);
    if (renameat(source.dir.get(), source.name.c_str(), target.dir.get(), target.name.c_str()) != 0)
        fail("cannot move {} to {}: {}", from_tree.shown(from), to_tree.shown(to),
             errno_text(errno));
}

} // namespace lethe::stage
