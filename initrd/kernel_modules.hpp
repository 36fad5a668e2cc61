#pragma once
// Loading the initrd's kernel modules. The builder resolved and ordered them
// (dependencies first) and decompressed them, so no modprobe is needed.

#include <string>

namespace lethe::init {

enum class LoadResult { loaded, already_loaded, no_device };

// What to log for a result: "loaded", "already loaded", "skipped (no device for)".
const char* describe(LoadResult result);

// finit_module(2) with no parameters. A module that is already loaded is
// fine; so is one that finds nothing to drive (ENODEV): crc32c-intel, a
// softdep of ext4's crc32c, refuses a CPU without SSE4.2, and the generic
// crc32c serves instead, as with modprobe.
LoadResult load_module(const std::string& path);

} // namespace lethe::init
