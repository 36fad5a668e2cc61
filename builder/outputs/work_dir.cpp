#include "outputs/work_dir.hpp"

#include "util/error.hpp"
#include "util/file.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace lethe::outputs {
namespace {

// The marker's first line; the second says whether lethe made the
// directory itself ("made") or was given it empty ("adopted").
constexpr std::string_view marker_line = "lethe work directory: lethe removes it after the build\n";

fs::path resolved(const fs::path& path) {
    return fs::weakly_canonical(fs::absolute(path));
}

// Is `inner` `outer` itself or below it? Both resolved.
bool within(const fs::path& inner, const fs::path& outer) {
    auto [end, ignored] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
    return end == outer.end() || (std::next(end) == outer.end() && end->empty()); // "a/b/" is "a/b"
}

// The device of the path, or of its nearest existing parent: where it would be made.
dev_t device_of(fs::path path) {
    struct stat st {};
    while (stat(path.c_str(), &st) != 0) {
        if (!path.has_parent_path() || path.parent_path() == path)
            fail_errno("cannot stat", path.string());
        path = path.parent_path();
    }
    return st.st_dev;
}

// Whose the existing directory is: "made"/"adopted" from lethe's marker,
// "empty", or "foreign".
std::string ownership(const fs::path& work) {
    fs::path marker = work / work_marker;
    struct stat st {};
    if (lstat(marker.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size < 4096) {
        std::string text = read_file(marker);
        if (text.rfind(marker_line, 0) == 0)
            return text.substr(marker_line.size()) == "adopted\n" ? "adopted" : "made";
    }
    return fs::is_empty(work) ? "empty" : "foreign";
}

void empty_directory(const fs::path& dir) {
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::error_code ec;
        fs::remove_all(entry.path(), ec); // never follows a link: the trees hold the rootfs's
        if (ec) fail_errno("cannot remove", entry.path().string(), ec.value());
    }
}

} // namespace

void check_work_dir(const WorkDirPlace& place) {
    if (place.output_dir.empty()) fail_input("-o: the output directory is an empty path");
    fs::path work = resolved(place.work), out = resolved(place.output_dir);
    std::string shown = place.work.string();
    if (work == out)
        fail_input("--work-dir '{}' is the output directory: lethe deletes its work directory "
                   "after the build, "
                   "and the outputs with it; leave --work-dir out (the default is "
                   "OUTPUT/.lethe-work-NAME)",
                   shown);
    if (within(out, work))
        fail_input("--work-dir '{}' contains the output directory '{}': lethe deletes its work "
                   "directory after "
                   "the build, and the outputs with it",
                   shown, place.output_dir.string());
    for (const auto& [what, path] : place.inputs)
        if (!path.empty() && within(resolved(path), work))
            fail_input("--work-dir '{}' contains {} '{}': lethe deletes its work directory after "
                       "the build",
                       shown, what, path.string());
    if (device_of(work) != device_of(out))
        fail_input(
            "--work-dir '{}' is on another filesystem than the output directory '{}': the outputs "
            "are made "
            "in the work directory and renamed into place, which works only within one filesystem",
            shown, place.output_dir.string());
    std::error_code ec;
    auto status = fs::status(work, ec);
    if (!fs::exists(status)) return;
    if (!fs::is_directory(status))
        fail_input("--work-dir '{}' exists and is not a directory", shown);
    if (ownership(work) == "foreign")
        fail_input("--work-dir '{}' holds files that are not lethe's: lethe deletes its work "
                   "directory after the "
                   "build, so it uses only a missing or empty directory, or one it made (with its "
                   "{} marker)",
                   shown, work_marker);
}

WorkDir::WorkDir(fs::path path, bool keep) : path_(std::move(path)), keep_(keep) {
    std::error_code ec;
    if (fs::exists(path_, ec)) {
        std::string owner = ownership(path_);
        if (owner == "foreign")
            fail_input("the work directory '{}' holds files that are not lethe's", path_.string());
        made_ = owner == "made";
        if (owner != "empty")
            spdlog::info("emptying the work directory {} of an earlier build", path_.string());
        empty_directory(path_);
    } else {
        fs::create_directories(path_);
    }
    write_file_atomic(path_ / work_marker,
                      std::string(marker_line) + (made_ ? "made\n" : "adopted\n"));
}

WorkDir::~WorkDir() {
    if (keep_) {
        spdlog::info("kept the work directory {}", path_.string());
        return;
    }
    try {
        // The marker goes last, so a directory left half-removed is still known as lethe's.
        for (const auto& entry : fs::directory_iterator(path_)) {
            if (entry.path().filename() == work_marker) continue;
            std::error_code ec;
            fs::remove_all(entry.path(), ec);
        }
        std::error_code ec;
        fs::remove(path_ / work_marker, ec);
        if (made_) fs::remove(path_, ec);
    } catch (const std::exception& e) {
        spdlog::warn("could not remove the work directory {}: {}", path_.string(), e.what());
    }
}

} // namespace lethe::outputs
