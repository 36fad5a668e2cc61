#include "util/error.hpp"

#include <cerrno>
#include <cstring>

namespace lethe {

void fail_errno(const std::string& what, const std::string& path) { fail_errno(what, path, errno); }

void fail_errno(const std::string& what, const std::string& path, int err) {
    throw Error(ExitCode::failure, fmt::format("{} '{}': {}", what, path, std::strerror(err)));
}

} // namespace lethe
