#include "mkfs/make_filesystem.hpp"

#include "catalog/filesystem_kinds.hpp"
#include "mkfs/ext4_times.hpp"

#include "util/error.hpp"

#include <climits>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>

namespace lethe::mkfs {
namespace {

std::string epoch_text(const FilesystemJob& job) { return std::to_string(job.epoch); }

// mkfs.erofs 1.5 and mksquashfs 4.5 read SOURCE_DATE_EPOCH from the
// environment and then only clamp the times newer than it, keeping older ones
// from the source tree (mkfs.erofs even over -T; mksquashfs refuses it next to
// -all-time). lethe gives them the epoch on the command line, where it sets
// every time, and runs them without the variable.
std::vector<std::string> without_source_date_epoch(std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"env", "-u", "SOURCE_DATE_EPOCH"});
    return argv;
}

// mkfs.erofs joins the source directory and each path below it into one
// buffer of PATH_MAX: run in the source as ".", paths as long as the image
// itself allows (PATH_MAX less "./") fit whatever the work directory's name.
std::vector<exec::Command> erofs(const FilesystemJob& job) {
    exec::Command c{without_source_date_epoch({"mkfs.erofs", "--quiet", "-U" + job.uuid, "-T" + epoch_text(job)})};
    if (!job.compression.empty() && job.compression != "none") c.argv.push_back("-z" + job.compression);
    c.argv.insert(c.argv.end(), {std::filesystem::absolute(job.image).string(), "."});
    c.cwd = std::filesystem::absolute(job.source).string();
    return {c};
}

std::vector<exec::Command> squashfs(const FilesystemJob& job) {
    exec::Command c{without_source_date_epoch(
        {"mksquashfs", job.source.string(), job.image.string(), "-noappend", "-quiet", "-no-progress", "-comp",
         job.compression.empty() ? "zstd" : job.compression, "-mkfs-time", epoch_text(job), "-all-time",
         epoch_text(job), "-processors", "2"})};
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

exec::Command mtools(std::vector<std::string> argv, const FilesystemJob& job) {
    // mtools stamps what it makes with SOURCE_DATE_EPOCH; without -m, mcopy
    // does not keep the source's mtime, which lethe's staging does not control.
    exec::Command c{std::move(argv)};
    c.env = {{"MTOOLS_SKIP_CHECK", "1"}, {"SOURCE_DATE_EPOCH", epoch_text(job)}};
    return c;
}

// `mcopy -s` walks a directory in readdir order, which decides where each
// file's clusters and directory entries go. So lethe makes the directories
// (mmd, parents first) and copies each directory's files itself, sorted.
std::vector<exec::Command> vfat_copy(const FilesystemJob& job) {
    std::vector<std::filesystem::path> entries;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(job.source, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        entries.push_back(it->path().lexically_relative(job.source));
    if (ec) fail_errno("cannot read", job.source.string(), ec.value());
    std::sort(entries.begin(), entries.end()); // element-wise: a parent sorts before its children
    std::vector<std::string> mmd{"mmd", "-i", job.image.string()};
    std::map<std::string, std::vector<std::string>> files; // target directory -> sources
    for (const auto& entry : entries) {
        std::string parent = "::/" + entry.parent_path().string();
        if (std::filesystem::is_directory(job.source / entry)) mmd.push_back("::/" + entry.string());
        else files[parent].push_back((job.source / entry).string());
    }
    std::vector<exec::Command> commands;
    if (mmd.size() > 3) commands.push_back(mtools(mmd, job));
    for (auto& [directory, sources] : files) {
        std::vector<std::string> argv{"mcopy", "-p", "-i", job.image.string()};
        argv.insert(argv.end(), sources.begin(), sources.end());
        argv.push_back(directory);
        commands.push_back(mtools(argv, job));
    }
    return commands;
}

std::vector<exec::Command> vfat(const FilesystemJob& job) {
    // --invariant also sets the volume id (to 1234-ABCD): -i must come after it.
    exec::Command mkfs{{"mkfs.vfat", "-C", "-n", job.label, "--invariant", "-i", vfat_volume_id(job.uuid),
                        job.image.string(), std::to_string(job.size / 1024)}};
    mkfs.env = {{"SOURCE_DATE_EPOCH", epoch_text(job)}};
    std::vector<exec::Command> commands{mkfs};
    if (job.source.empty()) return commands;
    auto copies = vfat_copy(job);
    commands.insert(commands.end(), copies.begin(), copies.end());
    return commands;
}

} // namespace

std::vector<exec::Command> mkfs_commands(const FilesystemJob& job) {
    switch (catalog::filesystem_kind(job.type).id) {
    case catalog::FilesystemId::erofs: return erofs(job);
    case catalog::FilesystemId::squashfs: return squashfs(job);
    case catalog::FilesystemId::ext4: return ext4(job);
    case catalog::FilesystemId::vfat: return vfat(job);
    case catalog::FilesystemId::none: break;
    }
    fail("internal error: no way to make a '{}' filesystem", job.type);
}

void check_erofs_tree(const std::filesystem::path& source) {
    // erofs-utils 1.5 (Debian 12) fails on a name of NAME_MAX bytes with a
    // bare "No such file or directory"; Linux and the other filesystems take it.
    constexpr size_t longest_name = NAME_MAX - 1, longest_path = PATH_MAX - 3; // "./" and the NUL
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(source, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        std::string relative = it->path().lexically_relative(source).string();
        if (it->path().filename().string().size() > longest_name)
            fail_input("'{}' (in the tree of an erofs partition) has a name of {} bytes, which mkfs.erofs 1.5 "
                       "(erofs-utils of Debian 12) cannot store (it takes at most {}): shorten the name, or give "
                       "this partition filesystem: squashfs",
                       relative, it->path().filename().string().size(), longest_name);
        if (relative.size() > longest_path)
            fail_input("'{}...' (in the tree of an erofs partition) is a path of {} bytes; mkfs.erofs takes at "
                       "most {} (PATH_MAX is {}): shorten it",
                       relative.substr(0, 64), relative.size(), longest_path, PATH_MAX);
    }
    if (ec == std::errc::filename_too_long)
        fail_input("a path below '{}' is longer than PATH_MAX ({} bytes) with the work directory's name in "
                   "front, so lethe cannot check it for mkfs.erofs: shorten it, or use a shorter --work-dir",
                   source.string(), PATH_MAX);
    if (ec) fail_errno("cannot read", source.string(), ec.value());
}

void make_filesystem(const FilesystemJob& job, exec::CommandRunner& runner) {
    if (catalog::filesystem_kind(job.type).id == catalog::FilesystemId::erofs && !job.source.empty())
        check_erofs_tree(job.source);
    std::error_code ec;
    std::filesystem::remove(job.image, ec);
    for (const auto& command : mkfs_commands(job)) runner.run(command);
    // mke2fs -d copies the source's times (see ext4_times.hpp).
    if (catalog::filesystem_kind(job.type).id == catalog::FilesystemId::ext4 && !job.source.empty())
        reset_inode_times(job.image, job.epoch, runner);
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

} // namespace lethe::mkfs
