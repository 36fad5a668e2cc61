#pragma once
// A program a stage or feature runs on the build host, and the Debian package
// that ships it, so a missing one is named with what to install.

#include <string>
#include <vector>

namespace lethe::exec {

struct Tool {
    std::string program; // looked up on PATH
    std::string package; // Debian package
    bool operator==(const Tool&) const = default;
};

// Refuses (exit status 1) when any of `tools` is not on PATH, listing every
// missing one with its package, so one run tells the user all to install.
void require_tools(const std::vector<Tool>& tools);

} // namespace lethe::exec
