#include "stage/image_files.hpp"

#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace lethe::stage {

bool has_entry(const fs::path& path) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(path, ec));
}

void set_times(const fs::path& path, int64_t epoch) {
    struct timespec times[2] = {{epoch, 0}, {epoch, 0}};
    utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

void install_file(const fs::path& rootfs, const std::string& image_path, const std::string& content, unsigned mode,
                  int64_t epoch) {
    fs::path target = rootfs / fs::path(image_path).relative_path();
    fs::create_directories(target.parent_path());
    write_file_atomic(target, content, mode);
    set_times(target, epoch);
}

} // namespace lethe::stage
