#pragma once

#include "plan/plan.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace lethe::outputs {

// Writes the raw disk: a sparse file of the planned size, each filesystem
// image copied in at its partition's offset, then the GPT. `images` maps
// partition names to filesystem images; partitions without one stay empty.
void assemble_disk(const std::filesystem::path& disk, const plan::Plan& plan,
                   const std::map<std::string, std::filesystem::path>& images);

} // namespace lethe::outputs
