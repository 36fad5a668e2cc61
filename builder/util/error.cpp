#include "util/error.hpp"

#include <cerrno>
#include <cstring>

namespace lethe {

std::string errno_text(int err) {
    std::string text = std::strerror(err);
    if (err == ENOSPC) return text + ": the disk is full";
    if (err == EFBIG) return text + ": the file is over a size limit";
    return text;
}

void fail_errno(const std::string& what, const std::string& path) { fail_errno(what, path, errno); }

void fail_errno(const std::string& what, const std::string& path, int err) {
    throw Error(ExitCode::failure, fmt::format("{} '{}': {}", what, path, errno_text(err)));
}

} // namespace lethe
