#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace lethe {

// Whether the absolute, normalised PATH is DIR or below it ("/" holds every
// path), comparing whole components: /var/lib2 is not within /var/lib.
bool is_within(std::string_view path, std::string_view dir);

// A data file shipped with lethe (templates/..., layouts/...): looked up in
// $LETHE_DATA_DIR, then where `cmake --install` puts it beside the binary
// (../share/lethe), then, for a lethe run from its build tree, in the source tree.
std::filesystem::path data_path(const std::string& relative);

// A program built with lethe that goes into images (lethe-init,
// lethe-decrypt, lethe-metadata): $LETHE_<NAME> (e.g. LETHE_INIT), where
// `cmake --install` puts it (../libexec/lethe), or, for a lethe run from its
// build tree, where the build made it.
// Helpers built for another architecture are in a SUBDIRECTORY of the
// installed helpers' directory (catalog::Target::helper_subdirectory).
std::filesystem::path helper_program(const std::string& name, std::string_view subdirectory = "");

} // namespace lethe
