#include "initrd/console_log.hpp"

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace lethe::init {
namespace {

// One write(2) per line, so lines from the kernel are not spliced into ours.
void emit(const char* prefix, const char* format, va_list args) {
    char line[1024];
    int used = std::snprintf(line, sizeof line, "lethe-init: %s", prefix);
    int room = static_cast<int>(sizeof line) - used - 1;
    int body = std::vsnprintf(line + used, static_cast<size_t>(room), format, args);
    used += body < room ? body : room - 1;
    line[used++] = '\n';
    for (ssize_t done = 0; done < used;) {
        ssize_t n = write(STDERR_FILENO, line + done, static_cast<size_t>(used - done));
        if (n <= 0) return;
        done += n;
    }
}

} // namespace

double seconds_since_boot() {
    timespec now{};
    clock_gettime(CLOCK_BOOTTIME, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

void attach_console() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (fcntl(fd, F_GETFD) != -1) continue;
        int console = open("/dev/console", O_RDWR | O_NOCTTY);
        if (console < 0) return; // nowhere to write; carry on silently
        if (console != fd) {
            dup2(console, fd);
            close(console);
        }
    }
}

void log_step(const char* format, ...) {
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "[%7.3f] ", seconds_since_boot());
    va_list args;
    va_start(args, format);
    emit(prefix, format, args);
    va_end(args);
}

void log_error(const char* format, ...) {
    va_list args;
    va_start(args, format);
    emit("error: ", format, args);
    va_end(args);
}

} // namespace lethe::init
