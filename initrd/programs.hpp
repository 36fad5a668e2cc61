#pragma once
// Running the image's own programs (e2fsck, a rescue shell) from lethe-init.

#include <string>
#include <sys/types.h>
#include <vector>

namespace lethe::init {

struct RunOptions {
    std::string root;       // chroot here first; empty: the initrd
    bool interactive = false; // new session with the console as controlling terminal
};

// A program started and not yet waited for.
struct RunningProgram {
    pid_t pid = -1;
    std::string name;  // ARGV[0] and where it runs, for messages
    int report_fd = -1; // the child's exec error, if any (read by wait_program)
};

// Starts ARGV[0] with ARGV without waiting, not even for its exec, so
// lethe-init can work meanwhile (e2fsck beside the factory copy). Throws
// Failure when it cannot fork; an exec failure is reported by wait_program.
RunningProgram start_program(const std::vector<std::string>& argv, const RunOptions& options = {});

// Waits for it. Returns the exit status, or 128 + the signal that killed it;
// throws Failure ("cannot run ...") when it could not be executed.
int wait_program(const RunningProgram& program);

// Runs ARGV[0] with ARGV and waits. Returns the exit status, or 128 + the
// signal that killed it. Throws Failure when it cannot start.
int run_program(const std::vector<std::string>& argv, const RunOptions& options = {});

} // namespace lethe::init
