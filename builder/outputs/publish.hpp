#pragma once
// Outputs are made in a staging directory next to the output directory and
// moved into place only when the whole build succeeded: an interrupted or
// failed build never leaves a truncated image at an output path.

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::outputs {

class Publisher {
public:
    Publisher(std::filesystem::path staging, std::filesystem::path output_dir);

    // Where to write the output called `name` (e.g. "web.raw") while building.
    std::filesystem::path path(const std::string& name);

    // Keeps an intermediate file (e.g. the raw disk a qcow2 was made from) out of the outputs.
    void forget(const std::string& name);

    // Writes SHA256SUMS over every output, then renames them all into the
    // output directory, SHA256SUMS last: all of them or none. Every
    // destination is checked before the first rename (check_destinations),
    // and what a rename replaces is kept aside until all are done, so a
    // rename that fails half-way puts the earlier ones back.
    void publish();

private:
    void roll_back(const std::vector<std::string>& renamed, const std::vector<bool>& kept);

    std::filesystem::path staging_;
    std::filesystem::path output_dir_;
    std::vector<std::string> names_;
};

// Refuses (exit status 2) before anything is renamed when an output's path
// in `output_dir` is taken by something a rename cannot replace (a
// directory named NAME.raw), or the directory cannot be written to.
void check_destinations(const std::filesystem::path& output_dir, const std::vector<std::string>& names);

} // namespace lethe::outputs
