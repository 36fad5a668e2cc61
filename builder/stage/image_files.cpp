#include "stage/image_files.hpp"

#include "stage/tree_root.hpp"

namespace fs = std::filesystem;

namespace lethe::stage {

bool has_entry(const fs::path& rootfs, const std::string& image_path) {
    return TreeRoot(rootfs).exists(image_path);
}

void set_times(const fs::path& rootfs, const std::string& image_path, int64_t epoch) {
    TreeRoot(rootfs).set_times(image_path, epoch);
}

void install_file(const fs::path& rootfs, const std::string& image_path, const std::string& content,
                  unsigned mode, int64_t epoch) {
    TreeRoot tree(rootfs);
    tree.make_directories(fs::path(relative_in_tree(image_path)).parent_path().string());
    tree.write_atomic(image_path, content, mode);
    tree.set_times(image_path, epoch);
}

} // namespace lethe::stage
