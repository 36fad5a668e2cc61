#pragma once
// Programs that run in the foreground while lethe watches them (QEMU for
// `lethe boot`), as opposed to CommandRunner's tools that run to completion
// with their output captured.

#include "exec/command_runner.hpp"

#include <functional>
#include <optional>
#include <sys/types.h>

namespace lethe::exec {

struct SpawnOptions {
    int stdin_fd = -1;  // -1: inherit
    int stdout_fd = -1; // -1: inherit
    int stderr_fd = -1; // -1: inherit
};

// Starts `command` with the default dispositions of SIGINT and SIGQUIT, so
// the terminal's Ctrl-C reaches it while lethe ignores it.
pid_t spawn(const Command& command, const SpawnOptions& options = {});

// Waits for a spawned child. Past `timeout_seconds` (0: none), or as soon as
// `stop` (called about every 100 ms, and allowed to wait that long itself)
// says so, asks it to quit (SIGTERM), then kills it after 5 s, and returns
// nullopt. Otherwise its exit status, or 128 + the signal that killed it.
std::optional<int> wait_for(pid_t pid, unsigned timeout_seconds, const std::function<bool()>& stop = {});

} // namespace lethe::exec
