#include "features/requirement.hpp"

#include "util/error.hpp"
#include "util/file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lethe::features {

bool tree_has(const std::filesystem::path& tree, const std::string& image_path,
              RootfsRequirement::Kind kind) {
    Fd root(open(tree.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (root.get() < 0) fail_errno("cannot open", tree.string());
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    // Absolute links resolve against the tree, and ".." stops at its top.
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, root.get(), image_path.c_str(), &how, sizeof how);
    if (fd < 0 && errno == ENOSYS)
        fail("checking the staged tree needs openat2 (Linux 5.6 or later) on the build machine");
    if (fd < 0) return false;
    Fd found(static_cast<int>(fd));
    struct stat info {};
    if (fstat(found.get(), &info) != 0 || !S_ISREG(info.st_mode)) return false;
    return kind == RootfsRequirement::Kind::file || (info.st_mode & 0111) != 0;
}

std::string unmet_requirement(const std::filesystem::path& tree,
                              const std::vector<RootfsRequirement>& requirements,
                              const std::string& recipe_key) {
    for (const auto& requirement : requirements) {
        bool met = false;
        for (const auto& path : requirement.paths)
            met = met || tree_has(tree, path, requirement.kind);
        if (met) continue;
        std::string listed;
        for (const auto& path : requirement.paths)
            listed += (listed.empty() ? "" : " or ") + path;
        return fmt::format(
            "the recipe has '{}:' but the rootfs has no {}{}: add the Debian package "
            "{} to the rootfs, or remove '{}:'",
            recipe_key, requirement.kind == RootfsRequirement::Kind::program ? "executable " : "",
            listed, requirement.package, recipe_key);
    }
    return "";
}

} // namespace lethe::features
