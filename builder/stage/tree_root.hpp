#pragma once
// Paths inside a staged tree (the rootfs, the persistent tree), resolved as
// the booted image would resolve them, never on the build host: every lookup
// is openat2(2) with RESOLVE_IN_ROOT (Linux 5.6), which makes the tree's top
// "/" for that lookup, so "/etc -> /home/ci/etc" and "../../../../etc" both
// stay inside the tree. The tree is somebody else's: lethe runs as root and
// a rootfs holds whatever links its author put there.
//
// Paths are as in the image ("/etc/passwd"; the leading '/' is optional).
// Operations on an entry itself (remove, rename, read_link, lstat, chown,
// set_times) resolve its parent and act on the last name without following
// it; opening and reading follow a final link, inside the tree.
//
// A path that leads nowhere inside the tree, or a link where links must not
// be followed, is refused with exit status 2 naming the link; a loop too.

#include "util/file.hpp"

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lethe::stage {

enum class Follow {
    in_root, // symlinks resolve inside the tree, as in the booted image
    never,   // any symlink on the way is refused: for moves of what lethe persists
};

class TreeRoot {
public:
    // `label` names the tree in messages: "the rootfs", "the persistent tree".
    explicit TreeRoot(const std::filesystem::path& root, std::string label = "the rootfs");

    const std::filesystem::path& path() const { return path_; }
    int fd() const { return root_.get(); }

    // openat2 flags (O_RDONLY, O_WRONLY | O_CREAT...) relative to the root.
    // Missing: nullopt from try_open, exit status 1 from open.
    std::optional<Fd> try_open(const std::string& path, int flags, unsigned mode = 0,
                               Follow follow = Follow::in_root) const;
    Fd open(const std::string& path, int flags, unsigned mode = 0,
            Follow follow = Follow::in_root) const;

    // The content of a regular file; nullopt when missing. Anything else
    // (a device node, a FIFO, a directory) is refused unopened: opening a
    // device node of the tree would reach the host's device.
    std::optional<std::string> read(const std::string& path) const;

    // stat(2) of what the path leads to (nullopt: missing, or a link to
    // nothing), and lstat(2) of the entry itself.
    std::optional<struct stat> stat(const std::string& path) const;
    std::optional<struct stat> lstat(const std::string& path) const;
    bool exists(const std::string& path) const { return lstat(path).has_value(); }
    bool is_directory(const std::string& path) const;
    bool is_regular_file(const std::string& path) const;

    // mkdir -p, as the image would: each missing directory made with `mode`
    // (exactly: the umask does not apply) and, when given, `epoch` as its times.
    void make_directories(const std::string& path, unsigned mode = 0755,
                          std::optional<int64_t> epoch = std::nullopt,
                          Follow follow = Follow::in_root) const;
    // Writes a file through a temporary name beside it, renamed over the
    // entry (a link there is replaced, not followed). The parent must exist.
    void write_atomic(const std::string& path, const std::string& content, unsigned mode) const;
    void symlink(const std::string& target, const std::string& path) const;

    // Removes the entry itself (a link, not its target); missing is fine.
    void remove(const std::string& path) const;
    void remove_all(const std::string& path, Follow follow = Follow::in_root) const;
    void rename(const std::string& from, const std::string& to, Follow follow = Follow::in_root) const;

    std::string read_link(const std::string& path) const;
    // The names in a directory, sorted, without "." and "..".
    std::vector<std::string> list(const std::string& path) const;

    void set_times(const std::string& path, int64_t epoch) const;
    void chown(const std::string& path, uint32_t uid, uint32_t gid) const;
    void chmod(const std::string& path, unsigned mode) const;

    // Where the path leads, as a host path with every link inside the tree
    // already resolved (inside it), for libraries and tools that take a
    // path; valid while the tree is unchanged (lethe is its only writer).
    std::filesystem::path host_path(const std::string& path) const;

    // "'/etc/machine-id' in the rootfs", for messages.
    std::string shown(const std::string& path) const;

    // The directory holding the last name of `path`, and that name.
    struct Parent {
        Fd dir;
        std::string name;
    };
    Parent parent(const std::string& path, Follow follow = Follow::in_root) const;

    friend void move_between(const TreeRoot& from_tree, const std::string& from, const TreeRoot& to_tree,
                             const std::string& to);

private:
    // The fd, or -errno.
    int resolve(const std::string& path, int flags, unsigned mode, Follow follow) const;
    [[noreturn]] void refuse(const std::string& what, const std::string& path, int err, Follow follow) const;
    std::optional<std::string> first_link(const std::string& path) const;

    std::filesystem::path path_;
    std::string label_;
    Fd root_;
};

// Moves an entry from one tree to another on the same filesystem, each
// path's parent resolved in its own tree (the split moves /var/lib from the
// rootfs into the persistent tree). Links on the way are refused.
void move_between(const TreeRoot& from_tree, const std::string& from, const TreeRoot& to_tree,
                  const std::string& to);

// "/etc//systemd/./system/" -> "etc/systemd/system"; "/" -> "".
std::string relative_in_tree(const std::string& path);

} // namespace lethe::stage
