#pragma once
// Staging the root filesystem: unpacking a rootfs archive, or copying a
// rootfs directory, into the work tree with everything an OS needs kept
// (numeric owners, setuid modes, security.capability xattrs, ACLs, hard
// links, device nodes, times) and nothing written outside the work tree.

#include <cstdint>
#include <filesystem>

namespace lethe::stage {

struct ExtractStats {
    uint64_t files = 0;       // regular files, devices, fifos, sockets
    uint64_t directories = 0;
    uint64_t symlinks = 0;
    uint64_t hardlinks = 0;   // entries that are a second name of an earlier file
    uint64_t bytes = 0;       // regular files' data
};

// Unpacks any archive libarchive reads (tar, pax, cpio; gzip, xz, zstd...)
// into `dest` (created if missing). Owners are the archive's numeric ids,
// never looked up in the host's user database, which is not the image's.
//
// Entries that would land outside `dest` are refused (exit status 2), naming
// the entry: absolute names ("/etc/passwd"; refused rather than stripped as
// GNU tar does, since a rootfs tarball never needs them: `tar -C root .`
// writes "./etc/passwd"), ".." components, hard links to such names, and
// writing through a symlink extracted earlier ("evil -> /etc" then
// "evil/passwd"). Symlinks themselves may point anywhere
// (/etc/alternatives): they are stored, never followed.
ExtractStats extract_archive(const std::filesystem::path& archive, const std::filesystem::path& dest);

// Copies a rootfs directory into `dest` (created if missing) with the same
// fidelity and the same refusals as extract_archive. Symlinks are copied
// as-is; mount points below `source` (e.g. /proc of a live system) are not
// descended into.
ExtractStats copy_tree(const std::filesystem::path& source, const std::filesystem::path& dest);

} // namespace lethe::stage
