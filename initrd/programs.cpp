#include "initrd/programs.hpp"

#include "initrd/failure.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lethe::init {
namespace {

// In the child: chroot, terminal, exec. On failure the errno goes back
// through the close-on-exec pipe, which a successful exec closes unwritten.
[[noreturn]] void start_child(char* const* args, const RunOptions& options, int report) {
    char path_variable[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* environment[] = {path_variable, nullptr};
    bool ok = options.root.empty() || (chroot(options.root.c_str()) == 0 && chdir("/") == 0);
    if (ok && options.interactive && setsid() >= 0) ioctl(STDIN_FILENO, TIOCSCTTY, 1);
    if (ok) execve(args[0], args, environment);
    int error = errno;
    ssize_t ignored = write(report, &error, sizeof error);
    (void)ignored;
    _exit(127);
}

} // namespace

RunningProgram start_program(const std::vector<std::string>& argv, const RunOptions& options) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) fail_errno("cannot start", argv[0]);
    pid_t child = fork();
    if (child == 0) start_child(args.data(), options, report[1]);
    close(report[1]);
    if (child < 0) {
        close(report[0]);
        fail_errno("cannot start", argv[0]);
    }
    std::string where = options.root.empty() ? "" : " in '" + options.root + "'";
    return {child, "'" + argv[0] + "'" + where, report[0]};
}

int wait_program(const RunningProgram& program) {
    int error = 0;
    // Returns once the child has called execve (the pipe closes) or failed.
    ssize_t got = read(program.report_fd, &error, sizeof error);
    close(program.report_fd);
    int status = 0;
    while (waitpid(program.pid, &status, 0) < 0)
        if (errno != EINTR) fail_errno("cannot wait for", program.name);
    if (got == sizeof error) fail("cannot run " + program.name + ": " + std::strerror(error));
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int run_program(const std::vector<std::string>& argv, const RunOptions& options) {
    return wait_program(start_program(argv, options));
}

} // namespace lethe::init
