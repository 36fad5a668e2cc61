#pragma once
// A Debian root filesystem made with mmdebstrap, cached by what went into it
// so rebuilding an image does not download and unpack Debian again.

#include "exec/command_runner.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::stage {

struct DebianSource {
    std::string suite;                 // "bookworm"
    std::vector<std::string> packages; // --include; order and duplicates do not matter
    std::string variant;               // "minbase"
    std::string mirror;                // empty: mmdebstrap's default
    std::string architecture{};        // Debian's name ("amd64", the Target's); empty: the host's
};

// $LETHE_CACHE_DIR, else $XDG_CACHE_HOME/lethe, else ~/.cache/lethe (empty
// variables count as unset, as in tests/e2e/fetch-kernel.sh).
std::filesystem::path default_cache_dir();

// Hex SHA-256 naming the tarball a source makes: of the suite, variant,
// mirror, architecture and sorted, de-duplicated packages, and of the version of the
// mmdebstrap command line below, so changing that line invalidates old caches.
std::string debian_cache_key(const DebianSource& source);

// The mmdebstrap command writing the source's rootfs as a tar to `output`.
exec::Command mmdebstrap_command(const DebianSource& source, const std::filesystem::path& output);

// CACHE/debian/<key>.tar, made with mmdebstrap if it is not there yet. The
// tarball is written under a temporary name and renamed when complete, so an
// interrupted run leaves no tarball that looks cached. mmdebstrap honours
// SOURCE_DATE_EPOCH from the environment, which makes its output reproducible.
std::filesystem::path fetch_debian(const DebianSource& source, const std::filesystem::path& cache_dir,
                                   exec::CommandRunner& runner);

} // namespace lethe::stage
