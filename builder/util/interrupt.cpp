#include "util/interrupt.hpp"

#include "util/error.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <poll.h>
#include <string>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace lethe {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> received{0};
std::atomic<bool> active{false};
std::mutex group_mutex;
pid_t running_group = 0;

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        sigaddset(&set, sig);
    return set;
}

const char* signal_name(int sig) {
    return sig == SIGINT    ? "SIGINT"
           : sig == SIGTERM ? "SIGTERM"
           : sig == SIGHUP  ? "SIGHUP"
                            : "a signal";
}

// From the watcher thread, where spdlog's single-threaded logger must not be used.
void say(const std::string& text) {
    std::string line = "lethe: " + text + "\n";
    [[maybe_unused]] ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
}

// SIGTERM once to each group, SIGKILL once it had `grace` to stop.
class Stopper {
  public:
    void stop(Clock::duration grace) {
        std::lock_guard lock(group_mutex);
        if (running_group <= 0) return;
        if (running_group != termed_) {
            termed_ = running_group, termed_at_ = Clock::now();
            kill(-running_group, SIGTERM);
        } else if (Clock::now() - termed_at_ >= grace) {
            kill(-running_group, SIGKILL);
        }
    }

  private:
    pid_t termed_ = 0;
    Clock::time_point termed_at_;
};

void watch(int signals_fd, int stop_fd) {
    Stopper stopper;
    auto grace = std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(5));
    for (;;) {
        pollfd fds[2] = {{signals_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
        if (poll(fds, 2, received ? 100 : -1) < 0 && errno != EINTR) return;
        if (fds[1].revents) return;
        signalfd_siginfo info{};
        if ((fds[0].revents & POLLIN) && read(signals_fd, &info, sizeof info) == sizeof info) {
            int sig = static_cast<int>(info.ssi_signo);
            if (received == 0) {
                received = sig;
                say(fmt::format("{}: stopping the build, then removing its work directory",
                                signal_name(sig)));
            } else {
                grace = Clock::duration::zero(); // a second signal: no more waiting
            }
        }
        if (received) stopper.stop(grace);
    }
}

} // namespace

InterruptHandling::InterruptHandling() {
    received = 0;
    sigset_t set = stop_signals();
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    signals_fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    stop_fd_ = eventfd(0, EFD_CLOEXEC);
    if (signals_fd_ < 0 || stop_fd_ < 0) fail_errno("cannot watch for", "signals");
    // A closed terminal (SIGHUP) must not kill lethe at its next message
    // before it has cleaned up: writes fail with EPIPE instead.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old_pipe_);
    watcher_ = std::thread(watch, signals_fd_, stop_fd_);
    active = true;
}

InterruptHandling::~InterruptHandling() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = write(stop_fd_, &one, sizeof one);
    watcher_.join();
    active = false;
    signalfd_siginfo info{};
    int late =
        read(signals_fd_, &info, sizeof info) == sizeof info ? static_cast<int>(info.ssi_signo) : 0;
    close(signals_fd_);
    close(stop_fd_);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
    int sig = received ? received.load() : late;
    // A signal the build did not see (it came as the build ended): the
    // outputs are complete and published, and the exit status still says
    // the signal came. An unwinding build reports it itself.
    if (sig && std::uncaught_exceptions() == 0) {
        say(fmt::format("{}: the build had finished", signal_name(sig)));
        std::_Exit(128 + sig);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void check_interrupted() {
    if (int sig = received.load(std::memory_order_relaxed))
        throw Error(static_cast<ExitCode>(128 + sig),
                    fmt::format("interrupted by {}", signal_name(sig)));
}

bool interrupted() {
    return received.load(std::memory_order_relaxed) != 0;
}

bool handling_interrupts() {
    return active;
}

void set_running_group(pid_t group) {
    std::lock_guard lock(group_mutex);
    running_group = group;
}

} // namespace lethe
