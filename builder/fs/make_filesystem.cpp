#include "fs/make_filesystem.hpp"

#include "util/error.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

namespace lethe::fs {
namespace {

std::string epoch_text(const FilesystemJob& job) { return std::to_string(job.epoch); }

std::vector<exec::Command> erofs(const FilesystemJob& job) {
    exec::Command c{{"mkfs.erofs", "--quiet", "-U" + job.uuid, "-T" + epoch_text(job)}};
    if (!job.compression.empty() && job.compression != "none") c.argv.push_back("-z" + job.compression);
    c.argv.insert(c.argv.end(), {job.image.string(), job.source.string()});
    return {c};
}

std::vector<exec::Command> squashfs(const FilesystemJob& job) {
    exec::Command c{{"mksquashfs", job.source.string(), job.image.string(), "-noappend", "-quiet", "-no-progress",
                     "-comp", job.compression.empty() ? "zstd" : job.compression, "-mkfs-time", epoch_text(job),
                     "-all-time", epoch_text(job), "-processors", "2"}};
    return {c};
}

std::vector<exec::Command> ext4(const FilesystemJob& job) {
    // Fixed UUID, hash seed and time make the filesystem reproducible.
    // orphan_file (e2fsprogs 1.47) is off so older e2fsck in a rootfs can check it.
    exec::Command c{{"mke2fs", "-q", "-F", "-t", "ext4", "-O", "^orphan_file", "-L", job.label, "-U", job.uuid,
                     "-E", "hash_seed=" + job.uuid + ",root_owner=0:0", "-b", "4096"}};
    if (!job.source.empty()) c.argv.insert(c.argv.end(), {"-d", job.source.string()});
    c.argv.insert(c.argv.end(), {job.image.string(), std::to_string(job.size / 1024) + "k"});
    c.env = {{"E2FSPROGS_FAKE_TIME", epoch_text(job)}, {"SOURCE_DATE_EPOCH", epoch_text(job)}};
    return {c};
}

std::string vfat_volume_id(const std::string& uuid) {
    // A vfat volume id is 32 bits; take them from the derived UUID.
    std::string hex;
    for (char ch : uuid)
        if (ch != '-' && hex.size() < 8) hex += ch;
    return hex;
}

std::vector<exec::Command> vfat(const FilesystemJob& job) {
    exec::Command mkfs{{"mkfs.vfat", "-C", "-n", job.label, "-i", vfat_volume_id(job.uuid), "--invariant",
                        job.image.string(), std::to_string(job.size / 1024)}};
    mkfs.env = {{"SOURCE_DATE_EPOCH", epoch_text(job)}};
    std::vector<exec::Command> commands{mkfs};
    if (job.source.empty()) return commands;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(job.source, ec)) {
        exec::Command copy{{"mcopy", "-s", "-p", "-m", "-i", job.image.string(), entry.path().string(), "::/"}};
        copy.env = {{"MTOOLS_SKIP_CHECK", "1"}};
        commands.push_back(copy);
    }
    return commands;
}

} // namespace

std::vector<exec::Command> mkfs_commands(const FilesystemJob& job) {
    if (job.type == "erofs") return erofs(job);
    if (job.type == "squashfs") return squashfs(job);
    if (job.type == "ext4") return ext4(job);
    if (job.type == "vfat") return vfat(job);
    fail("internal error: no way to make a '{}' filesystem", job.type);
}

void make_filesystem(const FilesystemJob& job, exec::CommandRunner& runner) {
    std::error_code ec;
    std::filesystem::remove(job.image, ec);
    for (const auto& command : mkfs_commands(job)) runner.run(command);
}

uint64_t ext4_size_for(uint64_t content_bytes, uint64_t entries) {
    constexpr uint64_t mib = 1024 * 1024;
    // An inode (256 bytes) per entry plus spare inodes, a fifth extra for
    // directories, bitmaps and growth, and 64 MiB for the journal.
    uint64_t metadata = entries * 256 * 4 + content_bytes / 5;
    return content_bytes + metadata + 64 * mib;
}

TreeUsage measure_tree(const std::filesystem::path& root) {
    TreeUsage usage;
    std::error_code ec;
    auto options = std::filesystem::directory_options::skip_permission_denied;
    for (auto it = std::filesystem::recursive_directory_iterator(root, options, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        struct stat st {};
        if (lstat(it->path().c_str(), &st) != 0) continue;
        ++usage.entries;
        usage.bytes += (static_cast<uint64_t>(st.st_size) + 4095) / 4096 * 4096;
    }
    if (ec) fail_errno("cannot read", root.string(), ec.value());
    return usage;
}

} // namespace lethe::fs
