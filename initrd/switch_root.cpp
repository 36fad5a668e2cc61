#include "initrd/switch_root.hpp"

#include "initrd/failure.hpp"
#include "initrd/fs_util.hpp"
#include "initrd/tree_ops.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lethe::init {
namespace {

struct ApiFilesystem {
    const char* path;
    const char* type;
    unsigned long flags;
    const char* data;
};

constexpr ApiFilesystem api_filesystems[] = {
    {"/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr},
    {"/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr},
    {"/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
    {"/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
};

// Only ever delete a root that is the kernel's initramfs (ramfs or tmpfs).
bool root_is_initramfs() {
    struct statfs info {};
    if (statfs("/", &info) != 0) return false;
    return info.f_type == RAMFS_MAGIC || info.f_type == TMPFS_MAGIC;
}

} // namespace

void mount_api_filesystems() {
    for (const auto& api : api_filesystems) {
        make_directories(api.path, 0755);
        mount_or_fail(api.type, api.path, api.type, api.flags, api.data ? api.data : "");
    }
}

void move_api_filesystems(const std::string& new_root) {
    for (const auto& api : api_filesystems) {
        std::string target = join(new_root, api.path);
        make_directories(target, 0755);
        mount_or_fail(api.path, target, nullptr, MS_MOVE);
    }
}

void bind_api_filesystems(const std::string& new_root) {
    for (const auto& api : api_filesystems) {
        std::string target = join(new_root, api.path);
        make_directories(target, 0755);
        mount_or_fail(api.path, target, nullptr, MS_BIND | MS_REC);
    }
}

void unbind_api_filesystems(const std::string& new_root) {
    for (const auto& api : api_filesystems) umount2(join(new_root, api.path).c_str(), MNT_DETACH);
}

void check_init(const std::string& new_root, const std::string& init) {
    int root = open(new_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) fail_errno("cannot open", new_root);
    // RESOLVE_IN_ROOT: absolute symlinks (/sbin/init -> /lib/systemd/systemd)
    // resolve as they will after the switch, not into the initrd.
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT;
    long fd = syscall(SYS_openat2, root, init.c_str(), &how, sizeof how);
    int saved = errno;
    close(root);
    if (fd < 0 && saved == ENOSYS) return; // kernel before 5.6: exec will tell
    errno = saved;
    if (fd < 0) fail_errno("cannot find init", join(new_root, init));
    struct stat info {};
    bool executable = fstat(static_cast<int>(fd), &info) == 0 && S_ISREG(info.st_mode) && (info.st_mode & 0111);
    close(static_cast<int>(fd));
    if (!executable) fail("init '" + join(new_root, init) + "' is not an executable file");
}

void switch_root(const std::string& new_root, const std::string& init, std::vector<std::string> args) {
    if (root_is_initramfs()) remove_tree_contents("/");
    if (chdir(new_root.c_str()) != 0) fail_errno("cannot enter", new_root);
    if (mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) fail_errno("cannot move the new root onto", "/");
    if (chroot(".") != 0 || chdir("/") != 0) fail_errno("cannot change root to", new_root);
    if (args.empty()) args.emplace_back();
    args[0] = init;
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(init.c_str(), argv.data());
    fail_errno("cannot execute", init);
}

} // namespace lethe::init
