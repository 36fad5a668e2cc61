#include "outputs/publish.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace lethe::outputs {

Publisher::Publisher(std::filesystem::path staging, std::filesystem::path output_dir)
    : staging_(std::move(staging)), output_dir_(std::move(output_dir)) {
    std::filesystem::create_directories(staging_);
}

std::filesystem::path Publisher::path(const std::string& name) {
    if (std::find(names_.begin(), names_.end(), name) == names_.end()) names_.push_back(name);
    return staging_ / name;
}

void Publisher::forget(const std::string& name) {
    names_.erase(std::remove(names_.begin(), names_.end(), name), names_.end());
    std::error_code ec;
    std::filesystem::remove(staging_ / name, ec);
}

void check_destinations(const std::filesystem::path& output_dir, const std::vector<std::string>& names) {
    struct stat st {};
    if (stat(output_dir.c_str(), &st) != 0) return; // made later, empty
    if (access(output_dir.c_str(), W_OK) != 0)
        fail_input("cannot write the outputs into '{}': {}", output_dir.string(), errno_text(errno));
    for (const auto& name : names) {
        std::filesystem::path to = output_dir / name;
        if (lstat(to.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            fail_input("'{}' is a directory, where lethe would put an output: remove or rename it "
                       "(nothing in '{}' was changed)",
                       to.string(), output_dir.string());
    }
}

// Puts back what the renames so far replaced, and removes what they added.
void Publisher::roll_back(const std::vector<std::string>& renamed, const std::vector<bool>& kept) {
    for (size_t i = 0; i < renamed.size(); ++i) {
        std::filesystem::path to = output_dir_ / renamed[i], previous = staging_ / (renamed[i] + ".previous");
        if (kept[i] ? std::rename(previous.c_str(), to.c_str()) : unlink(to.c_str())) {
            spdlog::warn("could not restore {} after the failed publish", to.string());
        }
    }
}

void Publisher::publish() {
    std::vector<std::string> names = names_;
    std::sort(names.begin(), names.end());
    std::string sums;
    for (const auto& name : names) sums += sha256_file(staging_ / name) + "  " + name + "\n";
    write_file_atomic(staging_ / "SHA256SUMS", sums);
    names.push_back("SHA256SUMS");
    check_destinations(output_dir_, names);
    // A hard link in the staging directory keeps each file about to be replaced.
    std::vector<bool> kept;
    for (const auto& name : names) {
        std::filesystem::path to = output_dir_ / name, previous = staging_ / (name + ".previous");
        bool exists = link(to.c_str(), previous.c_str()) == 0;
        if (!exists && errno != ENOENT) fail_errno("cannot keep the previous output aside:", to.string());
        kept.push_back(exists);
    }
    std::vector<std::string> renamed;
    for (const auto& name : names) {
        std::filesystem::path from = staging_ / name, to = output_dir_ / name;
        if (std::rename(from.c_str(), to.c_str()) != 0) {
            int err = errno;
            roll_back(renamed, kept);
            fail("cannot move the output into place: '{}': {}; the earlier outputs were put back", to.string(),
                 errno_text(err));
        }
        renamed.push_back(name);
    }
    Fd dir(open(output_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || fsync(dir.get()) != 0) fail_errno("cannot sync", output_dir_.string());
    for (const auto& name : names) spdlog::info("wrote {}", (output_dir_ / name).string());
}

} // namespace lethe::outputs
