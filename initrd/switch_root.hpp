#pragma once
// Leaving the initrd: the API file systems move into the new root, the
// initrd's files are deleted (its memory is not freed otherwise) and the new
// root becomes / for the image's init.

#include <string>
#include <vector>

namespace lethe::init {

// /proc, /sys, /dev (devtmpfs) and /run (tmpfs) in the initrd.
void mount_api_filesystems();

// Moves them to NEW_ROOT/proc, ... (made if missing).
void move_api_filesystems(const std::string& new_root);

// Binds them (recursively) to NEW_ROOT/proc, ... for a program run chrooted
// there before the switch (e2fsck), and takes the binds away again.
void bind_api_filesystems(const std::string& new_root);
void unbind_api_filesystems(const std::string& new_root);

// Fails unless INIT, resolved inside NEW_ROOT, is an executable file.
void check_init(const std::string& new_root, const std::string& init);

// Deletes the initrd, makes NEW_ROOT the root and executes INIT with ARGS
// (ARGS[0] is replaced by INIT). Returns only by throwing Failure.
[[noreturn]] void switch_root(const std::string& new_root, const std::string& init,
                              std::vector<std::string> args);

} // namespace lethe::init
