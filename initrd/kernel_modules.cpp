#include "initrd/kernel_modules.hpp"

#include "initrd/failure.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lethe::init {

const char* describe(LoadResult result) {
    switch (result) {
    case LoadResult::loaded: return "loaded";
    case LoadResult::already_loaded: return "already loaded";
    case LoadResult::no_device: return "skipped (no device for)";
    }
    return "?";
}

LoadResult load_module(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno("cannot open kernel module", path);
    // glibc has no wrapper for finit_module.
    long result = syscall(SYS_finit_module, fd, "", 0);
    int saved = errno;
    close(fd);
    if (result == 0) return LoadResult::loaded;
    errno = saved;
    if (errno == EEXIST) return LoadResult::already_loaded;
    if (errno == ENODEV) return LoadResult::no_device;
    fail_errno("cannot load kernel module", path);
}

} // namespace lethe::init
