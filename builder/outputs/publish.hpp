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
    // output directory, SHA256SUMS last.
    void publish();

private:
    std::filesystem::path staging_;
    std::filesystem::path output_dir_;
    std::vector<std::string> names_;
};

} // namespace lethe::outputs
