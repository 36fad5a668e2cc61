#pragma once
// e2fsck's exit status in words, and what lethe-init does about it. The
// status is a sum of e2fsck(8)'s bits: 1 errors corrected, 2 reboot advised,
// 4 errors left uncorrected, 8 operational error (an unreadable superblock
// is one), 16 usage error, 32 canceled, 128 shared library error.

#include <string>

namespace lethe::init {

// "0 (no errors)", "12 (errors left uncorrected, operational error)". Above
// 128 it is run_program's 128 + the signal that killed e2fsck.
std::string describe_fsck_status(int status);

// 0 to 3: the file system can be mounted. 2, "reboot advised", is about a
// mounted file system, and the persistent one is not mounted yet.
bool fsck_passed(int status);

// 4, 8 or 12 after `e2fsck -p`: worth `e2fsck -f -y`, which answers yes to
// every repair and, when the superblock is unreadable, uses a backup one.
// Usage errors, cancellation, a missing library or a signal are not.
bool fsck_may_repair(int status);

} // namespace lethe::init
