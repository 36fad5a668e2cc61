#include "stage/split.hpp"

#include "stage/accounts.hpp"
#include "util/error.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

// Directories systemd and the kernel mount over: their content is never used.
const std::vector<std::string> api_dirs = {"dev", "proc", "run", "sys", "tmp"};
// Directories that Debian (and every merged-usr distribution) turns into links into /usr.
const std::vector<std::string> merged_dirs = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
// Top-level entries an image has no use for: the kernel and initrd are
// outputs of their own, and lost+found belongs to the filesystem.
const std::vector<std::string> dropped = {"boot", "lost+found"};

bool contains(const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
}

struct stat lstat_or_fail(const fs::path& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) fail_errno("cannot stat", path.string());
    return st;
}

void set_times(const fs::path& path, int64_t epoch) {
    struct timespec times[2] = {{epoch, 0}, {epoch, 0}};
    if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("cannot set the time of", path.string());
}

void move(const fs::path& from, const fs::path& to) {
    if (rename(from.c_str(), to.c_str()) != 0) fail_errno("cannot move '" + from.string() + "' to", to.string());
}

void make_directory(const fs::path& path, uint32_t mode, int64_t epoch) {
    if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) fail_errno("cannot create", path.string());
    chmod(path.c_str(), mode); // mkdir applies the umask
    set_times(path, epoch);
}

void make_parents(const fs::path& root, const fs::path& relative, int64_t epoch) {
    fs::path current = root;
    for (const auto& part : relative.parent_path()) {
        current /= part;
        if (!fs::exists(fs::symlink_status(current))) make_directory(current, 0755, epoch);
    }
}

// /bin as a real directory (a rootfs without merged /usr): its content moves
// into /usr/bin and /bin becomes a link, as usrmerge would do.
void merge_into_usr(const fs::path& rootfs, const std::string& name, int64_t epoch) {
    fs::path from = rootfs / name, into = rootfs / "usr" / name;
    if (!fs::exists(into)) make_directory(into, 0755, epoch);
    for (const auto& entry : fs::directory_iterator(from)) {
        fs::path target = into / entry.path().filename();
        if (fs::exists(fs::symlink_status(target)))
            fail_input("cannot merge /{0}/{1} into /usr/{0}/{1}: both exist in the rootfs", name,
                       entry.path().filename().string());
        move(entry.path(), target);
    }
    fs::remove(from);
}

std::vector<init::Link> merge_usr(const fs::path& rootfs, int64_t epoch) {
    std::vector<init::Link> links;
    for (const auto& name : merged_dirs) {
        fs::path path = rootfs / name;
        auto status = fs::symlink_status(path);
        if (!fs::exists(status)) continue;
        if (fs::is_symlink(status)) {
            std::string target = fs::read_symlink(path).string();
            if (target.rfind('/', 0) == 0) target = target.substr(1);
            links.push_back({name, target});
            fs::remove(path);
            continue;
        }
        merge_into_usr(rootfs, name, epoch);
        links.push_back({name, "usr/" + name});
    }
    return links;
}

uint32_t resolve_owner(const std::optional<std::string>& name, bool user, const Accounts& accounts,
                       const std::string& path, uint32_t fallback) {
    if (!name) return fallback;
    auto id = user ? user_id(accounts, *name) : group_id(accounts, *name);
    if (!id)
        fail_input("persisted path '{}': the image has no {} '{}' in /etc/{}", path, user ? "user" : "group", *name,
                   user ? "passwd" : "group");
    return *id;
}

// Moves the rootfs's content of one persisted path into the persistent tree
// and leaves an empty mount point of the same kind behind.
init::Bind persist(const fs::path& rootfs, const fs::path& persist_tree, const plan::PersistEntry& entry,
                      const Accounts& accounts, int64_t epoch) {
    fs::path relative = fs::path(entry.path).relative_path();
    fs::path source = rootfs / relative, target = persist_tree / relative;
    make_parents(persist_tree, relative, epoch);
    make_parents(rootfs, relative, epoch);
    init::Bind out{entry.path, entry.directory, 0, 0, entry.directory ? 0755u : 0644u};
    auto status = fs::symlink_status(source);
    if (fs::exists(status)) {
        if (fs::is_symlink(status))
            fail_input("persisted path '{}' is a symlink in the rootfs (to '{}'): persist its target instead", entry.path,
                       fs::read_symlink(source).string());
        if (fs::is_directory(status) != entry.directory)
            fail_input("persisted path '{}' is a {} in the rootfs but listed under {}", entry.path,
                       entry.directory ? "file" : "directory", entry.directory ? "directories" : "files");
        struct stat st = lstat_or_fail(source);
        out.uid = st.st_uid, out.gid = st.st_gid, out.mode = st.st_mode & 07777;
        move(source, target);
    } else if (entry.directory) {
        make_directory(target, out.mode, epoch);
    } else {
        int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, out.mode);
        if (fd < 0) fail_errno("cannot create", target.string());
        close(fd);
        set_times(target, epoch);
    }
    out.uid = resolve_owner(entry.user, true, accounts, entry.path, out.uid);
    out.gid = resolve_owner(entry.group, false, accounts, entry.path, out.gid);
    if (entry.mode) out.mode = *entry.mode;
    if (lchown(target.c_str(), out.uid, out.gid) != 0) fail_errno("cannot change the owner of", target.string());
    if (chmod(target.c_str(), out.mode) != 0) fail_errno("cannot change the mode of", target.string());
    // The mount point left in the image: same kind, owner and mode.
    if (entry.directory) {
        make_directory(source, out.mode, epoch);
    } else {
        int fd = open(source.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, out.mode);
        if (fd < 0) fail_errno("cannot create", source.string());
        close(fd);
        set_times(source, epoch);
    }
    if (lchown(source.c_str(), out.uid, out.gid) != 0) fail_errno("cannot change the owner of", source.string());
    return out;
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
    std::vector<fs::path> entries;
    for (const auto& entry : fs::directory_iterator(dir)) entries.push_back(entry.path());
    std::sort(entries.begin(), entries.end());
    return entries;
}

} // namespace

SplitTree split_rootfs(const fs::path& rootfs, const fs::path& persist_tree, const plan::Plan& plan, int64_t epoch) {
    SplitTree tree;
    tree.usr_tree = rootfs / "usr";
    tree.persist_tree = persist_tree;
    if (!fs::is_directory(fs::symlink_status(tree.usr_tree)))
        fail_input("the rootfs has no /usr directory: lethe images keep the OS in /usr");
    make_directory(persist_tree, 0755, epoch);
    tree.links = merge_usr(rootfs, epoch);

    Accounts accounts = load_accounts((rootfs / "etc").string());
    for (const auto& entry : plan.persisted) tree.persisted.push_back(persist(rootfs, persist_tree, entry, accounts, epoch));

    fs::path factory = rootfs / factory_dir;
    make_parents(rootfs, fs::path(factory_dir) / "x", epoch);
    for (const auto& path : sorted_entries(rootfs)) {
        std::string name = path.filename().string();
        auto status = fs::symlink_status(path);
        if (name == "usr") continue;
        if (contains(api_dirs, name) || contains(dropped, name) || !fs::is_directory(status)) {
            if (contains(api_dirs, name)) tree.directories.push_back({"/" + name, lstat_or_fail(path).st_mode & 07777u});
            else spdlog::debug("leaving /{} out of the image", name);
            fs::remove_all(path);
            continue;
        }
        fs::remove_all(factory / name); // e.g. systemd's own partial factory/etc: the image's /etc replaces it
        move(path, factory / name);
        tree.factory.push_back(name);
    }
    for (const auto& name : api_dirs)
        if (std::none_of(tree.directories.begin(), tree.directories.end(), [&](const init::Directory& d) { return d.path == "/" + name; }))
            tree.directories.push_back({"/" + name, name == "tmp" ? 01777u : 0755u});
    std::sort(tree.directories.begin(), tree.directories.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return tree;
}

} // namespace lethe::stage
