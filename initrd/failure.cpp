#include "initrd/failure.hpp"

#include <cerrno>
#include <cstring>

namespace lethe::init {

void fail(const std::string& message) { throw Failure(message); }

void fail_errno(const std::string& what, const std::string& path) {
    int saved = errno;
    throw Failure(what + " '" + path + "': " + std::strerror(saved));
}

} // namespace lethe::init
