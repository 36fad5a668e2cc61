#include "stage/kernel.hpp"

#include "stage/tree_root.hpp"
#include "util/error.hpp"

#include <string.h>

#include <algorithm>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

// Paths in the image, resolved inside the rootfs: a /boot/vmlinuz-* that is
// a link to a host file is not the image's kernel.
std::string modules_root(const TreeRoot& tree) {
    // Before usr-merge, /lib may be a real directory or a link to usr/lib.
    return tree.is_directory("usr/lib/modules") ? "usr/lib/modules" : "lib/modules";
}

std::string image_for(const TreeRoot& tree, const std::string& version) {
    for (std::string candidate : {"boot/vmlinuz-" + version, modules_root(tree) + "/" + version + "/vmlinuz"})
        if (tree.is_regular_file(candidate)) return candidate;
    return {};
}

// "; '/boot/vmlinuz-6.1' is a symlink to '/x', which leads nowhere inside the
// rootfs", for each kernel link that does: the likeliest reason for no kernel.
std::string broken_kernel_links(const TreeRoot& tree) {
    std::string out;
    if (!tree.is_directory("boot")) return out;
    for (const auto& name : tree.list("boot"))
        if (name.rfind("vmlinuz-", 0) == 0 && !tree.stat("boot/" + name))
            out += "; " + tree.first_link("boot/" + name).value_or("'/boot/" + name + "' leads nowhere");
    return out;
}

} // namespace

std::vector<std::string> sort_versions(std::vector<std::string> versions) {
    std::sort(versions.begin(), versions.end(),
              [](const std::string& a, const std::string& b) { return strverscmp(a.c_str(), b.c_str()) < 0; });
    return versions;
}

KernelFiles find_kernel(const fs::path& rootfs, const std::string& wanted, const catalog::Target& target) {
    TreeRoot tree(rootfs);
    std::vector<std::string> versions;
    std::string root = modules_root(tree);
    if (tree.is_directory(root))
        for (const auto& name : tree.list(root))
            if (tree.is_directory(root + "/" + name) && !image_for(tree, name).empty()) versions.push_back(name);
    versions = sort_versions(versions);
    if (versions.empty())
        fail_input("the rootfs has no kernel (no /boot/vmlinuz-VERSION with /usr/lib/modules/VERSION): "
                   "add a kernel package, e.g. {}{}",
                   target.kernel_package, broken_kernel_links(tree));
    std::string version = wanted.empty() ? versions.back() : wanted;
    if (std::find(versions.begin(), versions.end(), version) == versions.end()) {
        std::string available;
        for (const auto& v : versions) available += (available.empty() ? "" : ", ") + v;
        fail_input("kernel.version {} is not in the rootfs; it has {}", version, available);
    }
    return {version, tree.host_path(image_for(tree, version)), tree.host_path(root + "/" + version)};
}

} // namespace lethe::stage
