#pragma once
// One exception type for every failure a user sees; main() catches it once
// and prints "lethe: error: <what>" with the exit status it carries.

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace lethe {

enum class ExitCode : int {
    failure = 1,   // the system or a tool failed
    bad_input = 2, // the user's spec, flags or files are wrong
};

class Error : public std::runtime_error {
public:
    Error(ExitCode code, std::string message)
        : std::runtime_error(std::move(message)), code_(code) {}
    ExitCode code() const { return code_; }

private:
    ExitCode code_;
};

// Bad input from the user: exit status 2.
template <typename... Args>
[[noreturn]] void fail_input(fmt::format_string<Args...> f, Args&&... args) {
    throw Error(ExitCode::bad_input, fmt::format(f, std::forward<Args>(args)...));
}

// A failure of the system or of a tool: exit status 1.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
    throw Error(ExitCode::failure, fmt::format(f, std::forward<Args>(args)...));
}

// strerror(err), plainer where it would mislead: ENOSPC says that the disk is
// full, EFBIG that the file is over a size limit (RLIMIT_FSIZE, the filesystem's).
std::string errno_text(int err);

// "cannot open 'out/web.raw': Permission denied", from the current errno.
[[noreturn]] void fail_errno(const std::string& what, const std::string& path);
[[noreturn]] void fail_errno(const std::string& what, const std::string& path, int err);

} // namespace lethe
