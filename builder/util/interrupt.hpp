#pragma once
// A clean stop on SIGINT, SIGTERM and SIGHUP during a build: the tool that
// runs is stopped with all its children (each tool runs in a process group
// of its own, exec/command_runner.cpp), the build unwinds as from any
// failure (so the work directory goes, exactly what lethe made), and lethe
// exits with 128 + the signal: 130, 143, 129.
//
// While an InterruptHandling lives, the three signals are blocked in every
// thread (threads made later inherit that) and one thread of its own takes
// them from a signalfd: it records the signal, sends the running tool's
// group SIGTERM, and SIGKILL 5 s later (at once on a second signal). The
// build notices with check_interrupted(), which the pipeline calls between
// stages, per archive entry and per chunk of file data.

#include <signal.h>
#include <sys/types.h>
#include <thread>

namespace lethe {

class InterruptHandling {
  public:
    InterruptHandling();
    ~InterruptHandling();
    InterruptHandling(const InterruptHandling&) = delete;
    InterruptHandling& operator=(const InterruptHandling&) = delete;

  private:
    sigset_t old_mask_{};
    struct sigaction old_pipe_ {};
    int signals_fd_ = -1; // signalfd
    int stop_fd_ = -1;    // eventfd: the watcher's end
    std::thread watcher_;
};

// Throws lethe::Error with exit status 128 + the signal if one came.
void check_interrupted();
bool interrupted();

// Is an InterruptHandling alive? Only then do tools get groups of their
// own: otherwise Ctrl-C at the terminal must reach them as before.
bool handling_interrupts();

// The process group of the tool running now, 0 when none: the one the
// watcher stops. Set by the command runner around each tool; while it is
// set (and its leader not yet reaped) the group id cannot be reused.
void set_running_group(pid_t group);

} // namespace lethe
