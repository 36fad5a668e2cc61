#include "initrd/persisted_paths.hpp"

#include "initrd/failure.hpp"
#include "initrd/fs_util.hpp"
#include "initrd/mount_options.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lethe::init {
namespace {

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

void check_kind(const std::string& path, bool directory) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) fail_errno("cannot inspect", path);
    if (directory && !S_ISDIR(info.st_mode)) fail("'" + path + "' is persisted as a directory but is not one");
    if (!directory && S_ISDIR(info.st_mode)) fail("'" + path + "' is persisted as a file but is a directory");
}

void create_source(const std::string& path, const Bind& bind) {
    make_directories(parent_of(path), 0755);
    int fd = -1;
    if (bind.directory) {
        if (mkdir(path.c_str(), 0700) != 0) fail_errno("cannot create directory", path);
        fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    } else {
        fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0) fail_errno("cannot create", path);
    // Owner before mode: chown would clear set-user-ID and set-group-ID bits.
    bool ok = fchown(fd, bind.uid, bind.gid) == 0 && fchmod(fd, bind.mode & 07777) == 0;
    close(fd);
    if (!ok) fail_errno("cannot set the owner and mode of", path);
}

} // namespace

BindMount prepare_bind(const std::string& new_root, const std::string& persist_root, const Bind& bind) {
    BindMount mount{join(persist_root, bind.path), join(new_root, bind.path), bind.options};
    if (!exists(mount.source)) create_source(mount.source, bind);
    check_kind(mount.source, bind.directory);
    if (!exists(mount.target)) {
        if (bind.directory) make_directories(mount.target, 0755);
        else ensure_file(mount.target, 0644);
    }
    check_kind(mount.target, bind.directory);
    return mount;
}

void bind_mount(const BindMount& mount) {
    mount_or_fail(mount.source, mount.target, nullptr, MS_BIND);
    // The remount sets the bind's flags whole (its atime flags are kept):
    // what the partition's mount had (noexec) is dropped unless listed.
    mount_or_fail("none", mount.target, nullptr,
                  MS_BIND | MS_REMOUNT | bind_flags | split_mount_options(mount.options).flags);
}

} // namespace lethe::init
