#pragma once

#include <filesystem>
#include <string>

namespace lethe {

// A data file shipped with lethe (templates/..., layouts/...): looked up in
// $LETHE_DATA_DIR, then beside an installed binary (../share/lethe), then in
// the source tree lethe was built from.
std::filesystem::path data_path(const std::string& relative);

// A program built with lethe that goes into images (lethe-init,
// lethe-decrypt, lethe-metadata): $LETHE_<NAME> (e.g. LETHE_INIT), beside the lethe binary,
// in the build tree, or in ../lib/lethe.
std::filesystem::path helper_program(const std::string& name);

} // namespace lethe
