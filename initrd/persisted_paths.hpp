#pragma once
// The persistence manifest at boot: every persisted path is a bind mount
// from the persistent partition onto its place in the new root.

#include "initrd/init_config.hpp"

#include <string>
#include <sys/mount.h>

namespace lethe::init {

struct BindMount {
    std::string source; // PERSIST_ROOT/PATH, on the persistent partition
    std::string target; // NEW_ROOT/PATH
    std::string options; // "noexec,nosuid": set by a remount after the bind
};

// Makes a missing source with the manifest's owner and mode (missing parents
// root-owned, 0755) and a missing target (a directory or an empty file), and
// checks both are of the kind the manifest says.
BindMount prepare_bind(const std::string& new_root, const std::string& persist_root, const Bind& bind);

// Every persisted path is nosuid and nodev: the state a machine keeps is
// data, never a set-user-ID program or a device node planted to outlive a
// reboot. Its options (noexec, ro) come on top.
inline constexpr unsigned long bind_flags = MS_NOSUID | MS_NODEV;

// The persistent partition's own mount (PERSIST_MOUNT, where the binds come
// from) is noexec as well: else a program that /srv's noexec refuses would
// run from PERSIST_MOUNT/srv.
inline constexpr unsigned long persist_mount_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

// Binds SOURCE onto TARGET, then remounts the bind with bind_flags and its
// options: a bind takes flags only through a remount.
void bind_mount(const BindMount& mount);

} // namespace lethe::init
