#pragma once
// Whole-tree operations lethe-init needs and cannot borrow a tool for: the
// initrd carries no cp and no rm.

#include <string>

namespace lethe::init {

// Copies the tree at SOURCE to DESTINATION (made if missing), keeping file
// types, modes, owners, symlinks, device nodes and modification times.
// Hard links become separate copies; xattrs are not copied. Existing files
// in DESTINATION are replaced.
void copy_tree(const std::string& source, const std::string& destination);

// Deletes everything below DIRECTORY that is on the same device, leaving
// DIRECTORY itself and every mount point below it (as busybox switch_root
// does to free the initrd's memory). Errors are ignored: this is best effort.
void remove_tree_contents(const std::string& directory);

} // namespace lethe::init
