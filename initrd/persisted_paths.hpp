#pragma once
// The persistence manifest at boot: every persisted path is a bind mount
// from the persistent partition onto its place in the new root.

#include "initrd/init_config.hpp"

#include <string>

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

// Binds SOURCE onto TARGET, then, with options, remounts the bind with them
// added to the flags it has (a bind from the persistent partition keeps its
// nosuid and nodev): a bind takes flags only through a remount.
void bind_mount(const BindMount& mount);

} // namespace lethe::init
