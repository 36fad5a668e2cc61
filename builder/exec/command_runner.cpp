#include "exec/command_runner.hpp"

#include "util/error.hpp"
#include "util/interrupt.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace lethe::exec {
namespace {

std::string quote(const std::string& word) {
    if (!word.empty() && word.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;") == std::string::npos)
        return word;
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry = *e;
        std::string key = entry.substr(0, entry.find('='));
        if (!extra.count(key)) env.push_back(entry);
    }
    for (const auto& [key, value] : extra) env.push_back(key + "=" + value);
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// The last few lines of a tool's stderr are what a user needs to see.
std::string tail_lines(const std::string& text, size_t lines) {
    size_t pos = text.size();
    while (pos > 0 && text[pos - 1] == '\n') --pos;
    size_t end = pos;
    for (size_t n = 0; pos > 0 && n < lines; --pos)
        if (text[pos - 1] == '\n') ++n;
    if (pos > 0) ++pos;
    return text.substr(pos == 0 ? 0 : pos, end - (pos == 0 ? 0 : pos));
}

// Reads stdout and stderr concurrently so neither pipe can fill and block the child.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
    std::array<pollfd, 2> fds{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}}};
    std::array<std::string*, 2> sinks{&out, &err};
    int open_count = (out_fd >= 0) + (err_fd >= 0);
    char buffer[65536];
    while (open_count > 0) {
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            fail_errno("cannot poll", "child pipes");
        }
        for (size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_count;
            }
        }
    }
}

} // namespace

std::string to_string(const Command& command) {
    std::string out;
    for (const auto& word : command.argv) out += (out.empty() ? "" : " ") + quote(word);
    return out;
}

std::string SystemRunner::run(const Command& command) {
    if (command.argv.empty()) fail("internal error: empty command");
    int out_pipe[2] = {-1, -1}, err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC) < 0) fail_errno("cannot create", "pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (command.stdout_path.empty()) {
        if (pipe2(out_pipe, O_CLOEXEC) < 0) fail_errno("cannot create", "pipe");
        posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    } else {
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, command.stdout_path.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (command.merge_stderr && out_pipe[1] >= 0) posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDERR_FILENO);
    else posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (!command.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, command.cwd.c_str());

    std::vector<std::string> argv_strings = command.argv;
    std::vector<std::string> env_strings = merged_environment(command.env);
    auto argv = c_strings(argv_strings);
    auto envp = c_strings(env_strings);
    // During a build each tool runs in a process group of its own, so that
    // a signal to lethe stops it and every child it made (util/interrupt.hpp);
    // it starts with no signal blocked and SIGPIPE at its default, which the
    // build blocks and ignores for itself.
    bool own_group = handling_interrupts();
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, pipe_only;
    sigemptyset(&none);
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &pipe_only);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                                       (own_group ? POSIX_SPAWN_SETPGROUP : 0)));
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc == 0 && own_group) set_running_group(pid);
    if (out_pipe[1] >= 0) close(out_pipe[1]);
    close(err_pipe[1]);
    if (rc != 0) {
        if (out_pipe[0] >= 0) close(out_pipe[0]);
        close(err_pipe[0]);
        fail_errno("cannot run", command.argv[0], rc);
    }
    std::string out, err;
    drain(out_pipe[0], err_pipe[0], out, err);
    // WNOWAIT: the exited tool stays a zombie, so its group id cannot be
    // reused while what is left of the group is stopped and forgotten.
    siginfo_t info{};
    while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0)
        if (errno != EINTR) fail_errno("cannot wait for", command.argv[0]);
    if (own_group && interrupted()) kill(-pid, SIGKILL);
    if (own_group) set_running_group(0);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) fail_errno("cannot wait for", command.argv[0]);
    check_interrupted(); // the tool's end is the signal's doing, not a failure of its own
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return out;
    std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                        : fmt::format("was killed by signal {}", WTERMSIG(status));
    std::string detail = tail_lines(err.empty() ? out : err, 8);
    fail("'{}' {}{}{}", to_string(command), how, detail.empty() ? "" : ":\n", detail);
}

bool tool_exists(const std::string& name) {
    if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string candidate = dirs.substr(start, end - start) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

} // namespace lethe::exec
