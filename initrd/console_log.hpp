#pragma once
// Progress lines on the console, stamped with the time since boot:
//   lethe-init: [  0.412] mounted /usr (erofs, PARTUUID=...)
// The boot benchmark greps for "switching root to", so keep that phrase.

namespace lethe::init {

// Makes sure fds 0, 1 and 2 are open, on /dev/console if the kernel could not
// open it for us (it tries before /dev exists when the initrd has no node).
void attach_console();

void log_step(const char* format, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Seconds since boot (CLOCK_BOOTTIME), as the kernel's own log shows them.
double seconds_since_boot();

} // namespace lethe::init
