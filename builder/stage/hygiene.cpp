#include "stage/hygiene.hpp"

#include "stage/tree_root.hpp"
#include "util/did_you_mean.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

using Action = ScrubRule::Action;

const std::vector<std::pair<std::string, Action>> action_names = {
    {"remove", Action::remove}, {"empty", Action::empty}, {"uninitialize", Action::uninitialize},
    {"clear", Action::clear}};

// machine-id(5): a file holding this line makes systemd treat the boot as a
// first boot (an empty file does not, in systemd 252: it only makes the id
// transient), so ConditionFirstBoot= units run once per instance.
constexpr std::string_view uninitialized_line = "uninitialized\n";

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    std::stringstream stream(path);
    for (std::string part; std::getline(stream, part, '/');)
        if (!part.empty() && part != ".") parts.push_back(part);
    return parts;
}

// The line without its comment: '#' at the start or after a blank.
std::string strip_comment(const std::string& line) {
    for (size_t i = 0; i < line.size(); ++i)
        if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
    return line;
}

ScrubRule parse_rule(const std::vector<std::string>& words, const std::string& origin) {
    std::vector<std::string> names;
    for (const auto& [name, action] : action_names) names.push_back(name);
    auto found = std::find_if(action_names.begin(), action_names.end(),
                              [&](const auto& entry) { return entry.first == words[0]; });
    if (found == action_names.end())
        fail_input("{}: unknown action '{}'{}; expected remove, empty, uninitialize or clear", origin, words[0],
                   did_you_mean(words[0], names));
    if (words.size() != 2)
        fail_input("{}: expected 'ACTION PATH', e.g. 'remove etc/ssh/ssh_host_*', not {} words", origin, words.size());
    const std::string& pattern = words[1];
    if (pattern.front() == '/')
        fail_input("{}: '{}' must be relative to the rootfs (write '{}')", origin, pattern,
                   pattern.substr(std::min(pattern.find_first_not_of('/'), pattern.size())));
    auto parts = split_path(pattern);
    if (parts.empty()) fail_input("{}: '{}' names the whole rootfs", origin, pattern);
    if (std::find(parts.begin(), parts.end(), "..") != parts.end())
        fail_input("{}: '{}' must not contain '..'", origin, pattern);
    return {found->second, pattern, origin};
}

bool has_glob(const std::string& part) { return part.find_first_of("*?[") != std::string::npos; }

// The names in a directory, sorted (readdir's order is the file system's).
std::vector<std::string> list_names(int dir_fd, const std::string& shown) {
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* dir = fd < 0 ? nullptr : fdopendir(fd);
    if (!dir) {
        if (fd >= 0) close(fd);
        fail_errno("cannot read the directory", shown);
    }
    std::vector<std::string> names;
    while (dirent* entry = readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

// A directory below `dir_fd`, opened without following a symlink; -1 if it
// is missing, not a directory, or a symlink.
Fd open_directory(int dir_fd, const std::string& name, const std::string& shown) {
    Fd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0 && errno != ENOENT && errno != ENOTDIR && errno != ELOOP) fail_errno("cannot open", shown);
    return fd;
}

void remove_at(int dir_fd, const std::string& name, const std::string& shown) {
    struct stat st {};
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;
        fail_errno("cannot stat", shown);
    }
    if (S_ISDIR(st.st_mode)) {
        Fd child = open_directory(dir_fd, name, shown);
        if (child.get() < 0) fail_errno("cannot open", shown);
        for (const auto& grandchild : list_names(child.get(), shown))
            remove_at(child.get(), grandchild, shown + "/" + grandchild);
    }
    if (unlinkat(dir_fd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0) fail_errno("cannot remove", shown);
}

class Scrubber {
public:
    explicit Scrubber(fs::path rootfs) : rootfs_(std::move(rootfs)) {}

    void apply(int root_fd, const ScrubRule& rule) { walk(root_fd, rule, split_path(rule.pattern), 0, ""); }

    std::vector<std::string> removed() {
        std::sort(removed_.begin(), removed_.end());
        removed_.erase(std::unique(removed_.begin(), removed_.end()), removed_.end());
        return removed_;
    }

private:
    std::string shown(const std::string& relative) const { return (rootfs_ / relative).string(); }

    // Matches pattern component `index` in `dir_fd`, descending only into
    // real directories: a symlink where a directory is expected ends the walk.
    void walk(int dir_fd, const ScrubRule& rule, const std::vector<std::string>& parts, size_t index,
              const std::string& prefix) {
        const std::string& part = parts[index];
        std::vector<std::string> names;
        if (has_glob(part)) {
            for (const auto& name : list_names(dir_fd, shown(prefix)))
                if (fnmatch(part.c_str(), name.c_str(), FNM_PERIOD) == 0) names.push_back(name);
        } else {
            names.push_back(part);
        }
        for (const auto& name : names) {
            std::string relative = prefix.empty() ? name : prefix + "/" + name;
            if (index + 1 == parts.size()) {
                act(dir_fd, name, relative, rule.action);
                continue;
            }
            Fd child = open_directory(dir_fd, name, shown(relative));
            if (child.get() >= 0) walk(child.get(), rule, parts, index + 1, relative);
        }
    }

    void act(int dir_fd, const std::string& name, const std::string& relative, Action action) {
        struct stat st {};
        if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) return;
            fail_errno("cannot stat", shown(relative));
        }
        switch (action) {
        case Action::remove:
            remove_at(dir_fd, name, shown(relative));
            removed_.push_back(relative);
            break;
        case Action::empty: rewrite(dir_fd, name, relative, st, ""); break;
        case Action::uninitialize: rewrite(dir_fd, name, relative, st, uninitialized_line); break;
        case Action::clear: clear(dir_fd, name, relative, st); break;
        }
    }

    bool has_content(int dir_fd, const std::string& name, const std::string& relative, std::string_view content) {
        Fd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (fd.get() < 0) fail_errno("cannot open", shown(relative));
        std::string current(content.size(), '\0');
        return read(fd.get(), current.data(), current.size()) == static_cast<ssize_t>(current.size()) && current == content;
    }

    // Replaces a regular file's content with `content`, keeping the file.
    void rewrite(int dir_fd, const std::string& name, const std::string& relative, const struct stat& st,
                 std::string_view content) {
        if (!S_ISREG(st.st_mode)) {
            spdlog::warn("scrub: left {} alone: it is not a regular file", shown(relative));
            return;
        }
        if (static_cast<size_t>(st.st_size) == content.size() && has_content(dir_fd, name, relative, content)) return;
        Fd fd(openat(dir_fd, name.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC));
        if (fd.get() < 0) fail_errno("cannot rewrite", shown(relative));
        if (write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
            fail_errno("cannot write", shown(relative));
        removed_.push_back(relative);
    }

    void clear(int dir_fd, const std::string& name, const std::string& relative, const struct stat& st) {
        if (!S_ISDIR(st.st_mode)) {
            // Most often a symlink (var/log -> elsewhere): never cleared through.
            if (S_ISLNK(st.st_mode)) spdlog::warn("scrub: left {} alone: it is a symlink", shown(relative));
            return;
        }
        Fd dir = open_directory(dir_fd, name, shown(relative));
        if (dir.get() < 0) fail_errno("cannot open", shown(relative));
        clear_below(dir.get(), relative);
    }

    // Directories stay, with their owners and modes: packages make them once,
    // at install time (/var/log/apache2 root:adm 0750), and their services
    // fail without them. Everything else below them goes.
    void clear_below(int dir_fd, const std::string& relative) {
        for (const auto& child : list_names(dir_fd, shown(relative))) {
            std::string child_relative = relative + "/" + child;
            struct stat st {};
            if (fstatat(dir_fd, child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("cannot stat", shown(child_relative));
            if (S_ISDIR(st.st_mode)) {
                Fd sub = open_directory(dir_fd, child, shown(child_relative));
                if (sub.get() < 0) fail_errno("cannot open", shown(child_relative));
                clear_below(sub.get(), child_relative);
                continue;
            }
            if (unlinkat(dir_fd, child.c_str(), 0) != 0) fail_errno("cannot remove", shown(child_relative));
            removed_.push_back(child_relative);
        }
    }

    fs::path rootfs_;
    std::vector<std::string> removed_;
};

} // namespace

std::vector<ScrubRule> parse_scrub_rules(const std::string& text, const std::string& origin_name) {
    std::vector<ScrubRule> rules;
    std::stringstream lines(text);
    int number = 0;
    for (std::string line; std::getline(lines, line);) {
        ++number;
        std::stringstream stream(strip_comment(line));
        std::vector<std::string> words;
        for (std::string word; stream >> word;) words.push_back(word);
        if (words.empty()) continue;
        rules.push_back(parse_rule(words, fmt::format("{}:{}", origin_name, number)));
    }
    return rules;
}

ScrubResult scrub_instance_identity(const fs::path& rootfs, const std::vector<ScrubRule>& rules) {
    // The walk goes a name at a time from the tree's own descriptor, each
    // opened with O_NOFOLLOW: it never leaves the tree, and never resolves a
    // link at all (so a link is scrubbed itself, never what it points at).
    TreeRoot root(rootfs);
    Scrubber scrubber(rootfs);
    for (const auto& rule : rules) scrubber.apply(root.fd(), rule);
    ScrubResult result{scrubber.removed()};
    spdlog::info("scrubbed {} paths of instance identity and history", result.removed.size());
    return result;
}

} // namespace lethe::stage
