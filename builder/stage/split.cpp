#include "stage/split.hpp"

#include "stage/accounts.hpp"
#include "stage/tree_root.hpp"
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

// The split moves what it finds and never follows a link to find it
// (Follow::never): a rootfs whose /var is a link to a host path must not
// move the host's /var/lib. The trees are resolved with TreeRoot.
struct stat lstat_or_fail(const TreeRoot& tree, const std::string& path) {
    auto st = tree.lstat(path);
    if (!st) fail("cannot stat {}: it is gone", tree.shown(path));
    return *st;
}

void move(const TreeRoot& tree, const std::string& from, const std::string& to) {
    tree.rename(from, to, Follow::never);
}

void make_directory(const TreeRoot& tree, const std::string& path, uint32_t mode, int64_t epoch) {
    tree.make_directories(path, mode, epoch, Follow::never);
    tree.chmod(path, mode); // it may have been there already
    tree.set_times(path, epoch);
}

void make_parents(const TreeRoot& tree, const fs::path& relative, int64_t epoch) {
    tree.make_directories(relative.parent_path().string(), 0755, epoch, Follow::never);
}

// /bin as a real directory (a rootfs without merged /usr): its content moves
// into /usr/bin and /bin becomes a link, as usrmerge would do.
void merge_into_usr(const TreeRoot& tree, const std::string& name, int64_t epoch) {
    std::string into = "usr/" + name;
    if (!tree.exists(into)) make_directory(tree, into, 0755, epoch);
    for (const auto& child : tree.list(name)) {
        if (tree.exists(into + "/" + child))
            fail_input("cannot merge /{0}/{1} into /usr/{0}/{1}: both exist in the rootfs", name, child);
        move(tree, name + "/" + child, into + "/" + child);
    }
    tree.remove(name);
}

std::vector<init::Link> merge_usr(const TreeRoot& tree, int64_t epoch) {
    std::vector<init::Link> links;
    for (const auto& name : merged_dirs) {
        auto st = tree.lstat(name);
        if (!st) continue;
        if (S_ISLNK(st->st_mode)) {
            std::string target = tree.read_link(name);
            if (target.rfind('/', 0) == 0) target = target.substr(1);
            links.push_back({name, target});
            tree.remove(name);
            continue;
        }
        merge_into_usr(tree, name, epoch);
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

std::string join_options(const std::vector<std::string>& options) {
    std::string out;
    for (const auto& option : options) out += (out.empty() ? "" : ",") + option;
    return out;
}

// Moves the rootfs's content of one persisted path into the persistent tree
// and leaves an empty mount point of the same kind behind.
init::Bind persist(const TreeRoot& rootfs, const TreeRoot& persist_tree, const plan::PersistEntry& entry,
                      const Accounts& accounts, int64_t epoch) {
    fs::path relative = fs::path(entry.path).relative_path();
    const std::string path = relative.string();
    make_parents(persist_tree, relative, epoch);
    make_parents(rootfs, relative, epoch);
    init::Bind out{entry.path, entry.directory, 0, 0, entry.directory ? 0755u : 0644u, join_options(entry.options)};
    if (auto st = rootfs.lstat(path)) {
        if (S_ISLNK(st->st_mode))
            fail_input("persisted path '{}' is a symlink in the rootfs (to '{}'): persist its target instead", entry.path,
                       rootfs.read_link(path));
        if (S_ISDIR(st->st_mode) != entry.directory)
            fail_input("persisted path '{}' is a {} in the rootfs but listed under {}", entry.path,
                       entry.directory ? "file" : "directory", entry.directory ? "directories" : "files");
        out.uid = st->st_uid, out.gid = st->st_gid, out.mode = st->st_mode & 07777;
        move_between(rootfs, path, persist_tree, path, Follow::never);
    } else if (entry.directory) {
        make_directory(persist_tree, path, out.mode, epoch);
    } else {
        persist_tree.open(path, O_WRONLY | O_CREAT | O_EXCL, out.mode, Follow::never);
        persist_tree.set_times(path, epoch);
    }
    out.uid = resolve_owner(entry.user, true, accounts, entry.path, out.uid);
    out.gid = resolve_owner(entry.group, false, accounts, entry.path, out.gid);
    if (entry.mode) out.mode = *entry.mode;
    persist_tree.chown(path, out.uid, out.gid);
    persist_tree.chmod(path, out.mode);
    // The mount point left in the image: same kind, owner and mode.
    if (entry.directory) {
        make_directory(rootfs, path, out.mode, epoch);
    } else {
        rootfs.open(path, O_WRONLY | O_CREAT | O_EXCL, out.mode, Follow::never);
        rootfs.set_times(path, epoch);
    }
    rootfs.chown(path, out.uid, out.gid);
    return out;
}

} // namespace

SplitTree split_rootfs(const fs::path& rootfs, const fs::path& persist_tree, const plan::Plan& plan, int64_t epoch) {
    SplitTree tree;
    tree.usr_tree = rootfs / "usr";
    tree.persist_tree = persist_tree;
    TreeRoot root(rootfs);
    auto usr = root.lstat("usr");
    if (!usr || !S_ISDIR(usr->st_mode))
        fail_input("the rootfs has no /usr directory: lethe images keep the OS in /usr");
    // The persistent tree itself is lethe's own, in the work directory.
    if (mkdir(persist_tree.c_str(), 0755) != 0 && errno != EEXIST) fail_errno("cannot create", persist_tree.string());
    chmod(persist_tree.c_str(), 0755); // mkdir applies the umask
    struct timespec times[2] = {{epoch, 0}, {epoch, 0}};
    if (utimensat(AT_FDCWD, persist_tree.c_str(), times, 0) != 0) fail_errno("cannot set the times of", persist_tree.string());
    TreeRoot persist_root(persist_tree, "the persistent tree");
    tree.links = merge_usr(root, epoch);

    Accounts accounts = load_accounts(root);
    for (const auto& entry : plan.persisted) tree.persisted.push_back(persist(root, persist_root, entry, accounts, epoch));

    const std::string factory = factory_dir;
    make_parents(root, fs::path(factory_dir) / "x", epoch);
    for (const auto& name : root.list("")) {
        if (name == "usr") continue;
        struct stat st = lstat_or_fail(root, name);
        if (contains(api_dirs, name) || contains(dropped, name) || !S_ISDIR(st.st_mode)) {
            if (contains(api_dirs, name)) tree.directories.push_back({"/" + name, st.st_mode & 07777u});
            else spdlog::debug("leaving /{} out of the image", name);
            root.remove_all(name);
            continue;
        }
        // e.g. systemd's own partial factory/etc: the image's /etc replaces it
        root.remove_all(factory + "/" + name, Follow::never);
        move(root, name, factory + "/" + name);
        tree.factory.push_back(name);
    }
    for (const auto& name : api_dirs)
        if (std::none_of(tree.directories.begin(), tree.directories.end(), [&](const init::Directory& d) { return d.path == "/" + name; }))
            tree.directories.push_back({"/" + name, name == "tmp" ? 01777u : 0755u});
    std::sort(tree.directories.begin(), tree.directories.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return tree;
}

} // namespace lethe::stage
