#pragma once
// lethe-init's one error type. Every step throws it; main catches it once,
// prints `lethe-init: error: ...` and falls back to the rescue path.

#include <stdexcept>
#include <string>

namespace lethe::init {

class Failure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& message);

// "cannot mount '/dev/vda2' on '/newroot/usr': No such device", from errno.
[[noreturn]] void fail_errno(const std::string& what, const std::string& path);

} // namespace lethe::init
