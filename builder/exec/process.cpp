#include "exec/process.hpp"

#include "util/error.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace lethe::exec {

pid_t spawn(const Command& command, const SpawnOptions& options) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (options.stdin_fd >= 0) posix_spawn_file_actions_adddup2(&actions, options.stdin_fd, STDIN_FILENO);
    if (options.stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, options.stdout_fd, STDOUT_FILENO);
    if (options.stderr_fd >= 0) posix_spawn_file_actions_adddup2(&actions, options.stderr_fd, STDERR_FILENO);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGQUIT);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    std::vector<std::string> words = command.argv;
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) fail_errno("cannot run", command.argv[0], rc);
    return pid;
}

std::optional<int> wait_for(pid_t pid, unsigned timeout_seconds, const std::function<bool()>& stop) {
    using Clock = std::chrono::steady_clock;
    auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
    bool terminated = false;
    int status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, timeout_seconds || stop ? WNOHANG : 0);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) fail_errno("cannot wait for", "process " + std::to_string(pid));
        bool stopping = stop && stop();
        if (!terminated && (stopping || (timeout_seconds && Clock::now() >= deadline))) {
            kill(pid, SIGTERM);
            terminated = true;
            deadline = Clock::now() + std::chrono::seconds(5);
        } else if (terminated && Clock::now() >= deadline) {
            kill(pid, SIGKILL);
        }
        if (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (terminated) return std::nullopt;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace lethe::exec
