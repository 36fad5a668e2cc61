#pragma once
// Running the image's own programs (e2fsck, a rescue shell) from lethe-init.

#include <string>
#include <vector>

namespace lethe::init {

struct RunOptions {
    std::string root;       // chroot here first; empty: the initrd
    bool interactive = false; // new session with the console as controlling terminal
};

// Runs ARGV[0] with ARGV and waits. Returns the exit status, or 128 + the
// signal that killed it. Throws Failure when it cannot start.
int run_program(const std::vector<std::string>& argv, const RunOptions& options = {});

} // namespace lethe::init
