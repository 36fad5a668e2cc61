#include "outputs/tree_space.hpp"

#include "mkfs/make_filesystem.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <archive.h>
#include <csignal>
#include <linux/magic.h>
#include <memory>
#include <spdlog/spdlog.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace lethe::outputs {
namespace {

constexpr uint64_t MiB = 1024 * 1024;
constexpr std::string_view marker_line = "lethe trees: lethe removes them after the build; pid ";

bool is_compressed_archive(const fs::path& path) {
    std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_all(a.get());
    archive_entry* entry = nullptr;
    if (archive_read_open_filename(a.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK ||
        archive_read_next_header(a.get(), &entry) < ARCHIVE_WARN)
        return true; // extraction will say what is wrong; assume the larger size till then
    return archive_filter_count(a.get()) > 1; // the last "filter" is the file itself
}

// A directory left by a build that was killed (SIGKILL, a crash): its marker
// names a process that no longer runs. Anything else is left alone.
bool is_abandoned(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_regular_file(dir / tree_marker, ec) || fs::file_size(dir / tree_marker, ec) > 4096) return false;
    std::string text = read_file(dir / tree_marker);
    if (text.rfind(marker_line, 0) != 0) return false;
    pid_t pid = static_cast<pid_t>(std::strtol(text.c_str() + marker_line.size(), nullptr, 10));
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

void remove_abandoned(const fs::path& tmpfs) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(tmpfs, ec)) {
        if (entry.path().filename().string().rfind("lethe-trees-", 0) != 0 || !is_abandoned(entry.path())) continue;
        spdlog::info("removing {}, left by a lethe build that was killed", entry.path().string());
        fs::remove_all(entry.path(), ec);
    }
}

bool keeps_user_xattrs(const fs::path& dir) {
    if (setxattr(dir.c_str(), "user.lethe", "1", 1, 0) != 0) return false; // tmpfs before Linux 6.6
    removexattr(dir.c_str(), "user.lethe");
    return true;
}

} // namespace

bool has_room_for_trees(uint64_t available, uint64_t rootfs_bytes) {
    return rootfs_bytes > 0 && available / 2 >= rootfs_bytes + 256 * MiB;
}

uint64_t rootfs_estimate(const fs::path& source, bool is_directory) {
    if (is_directory) return mkfs::measure_tree(source).bytes;
    std::error_code ec;
    uint64_t size = fs::file_size(source, ec);
    if (ec) return 0;
    return is_compressed_archive(source) ? 5 * size : size;
}

TreeSpace::TreeSpace(const fs::path& fallback, uint64_t rootfs_bytes, const fs::path& tmpfs) : path_(fallback) {
    struct statfs st {};
    if (rootfs_bytes == 0 || statfs(tmpfs.c_str(), &st) != 0 || st.f_type != TMPFS_MAGIC) return;
    remove_abandoned(tmpfs);
    uint64_t available = uint64_t(st.f_bavail) * st.f_bsize;
    if (!has_room_for_trees(available, rootfs_bytes)) {
        spdlog::debug("staging in the work directory: {} has {} MiB free, the trees need about {} MiB",
                      tmpfs.string(), available / MiB, 2 * rootfs_bytes / MiB);
        return;
    }
    std::string pattern = (tmpfs / "lethe-trees-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return;
    fs::path dir = pattern;
    if (!keeps_user_xattrs(dir)) {
        spdlog::debug("staging in the work directory: {} does not keep user.* xattrs", tmpfs.string());
        fs::remove(dir);
        return;
    }
    write_file_atomic(dir / tree_marker, std::string(marker_line) + std::to_string(getpid()) + "\n");
    path_ = dir;
    own_ = true;
    spdlog::info("staging the trees in {} (tmpfs)", path_.string());
}

TreeSpace::~TreeSpace() {
    if (!own_) return;
    std::error_code ec;
    fs::remove_all(path_, ec); // never follows links: the trees hold the rootfs's
    if (ec) spdlog::warn("could not remove {}: {}", path_.string(), ec.message());
}

} // namespace lethe::outputs
