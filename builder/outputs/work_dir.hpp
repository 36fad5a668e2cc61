#pragma once
// The work directory: scratch space for the staged trees, the filesystems
// and the outputs before they are renamed into the output directory. lethe
// deletes it after the build, so it deletes only what it made: the
// directory holds lethe's marker file (.lethe-work), and lethe uses only a
// missing directory, an empty one (emptied but kept afterwards), or one
// that holds its marker (a --keep-work or killed build's).

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace lethe::outputs {

inline constexpr const char* work_marker = ".lethe-work";

struct WorkDirPlace {
    std::filesystem::path work;
    std::filesystem::path output_dir;
    // What the work directory must neither be nor contain, each with what
    // it is for messages: {"the recipe's folder", "images/"}.
    std::vector<std::pair<std::string, std::filesystem::path>> inputs;
};

// Refuses (exit status 2, saying why) before anything is made: a work
// directory that is or contains the output directory or one of `inputs`,
// that is on another filesystem than the output directory (the outputs are
// renamed from one to the other), or that exists and is not lethe's.
void check_work_dir(const WorkDirPlace& place);

class WorkDir {
  public:
    // Makes the directory, or takes it as check_work_dir allows (emptying
    // one lethe made before), and puts the marker in it.
    WorkDir(std::filesystem::path path, bool keep);
    // Removes what lethe made: everything in it, and the directory itself
    // unless it was there, empty, before; nothing with --keep-work.
    ~WorkDir();
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
    bool keep_;
    bool made_ = true; // lethe made the directory (not only its content)
};

} // namespace lethe::outputs
