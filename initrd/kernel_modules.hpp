#pragma once
// Loading the initrd's kernel modules. The builder resolved and ordered them
// (dependencies first) and decompressed them, so no modprobe is needed.

#include <string>

namespace lethe::init {

// finit_module(2) with no parameters; a module that is already loaded is fine.
// Returns false in that case, true when it was loaded now.
bool load_module(const std::string& path);

} // namespace lethe::init
