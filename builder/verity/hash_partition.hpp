#pragma once
// The build's verity step: the hash image of the plan's verity data
// partition, made by `veritysetup format` (veritysetup.hpp) right after the
// data partition's filesystem image, and the root hash recorded in the plan
// with the partition UUIDs it gives. The boot loaders' usrhash=, the GPT
// and the manifest are all written after it, from the plan.

#include "exec/command_runner.hpp"
#include "exec/tool.hpp"
#include "plan/plan.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::verity {

// veritysetup, when the plan has verity.
std::vector<exec::Tool> required_tools(const plan::Plan& plan);

// Writes HASH_IMAGE for DATA_IMAGE (the plan's verity data partition) and
// records the root hash in plan.verity and the UUIDs it gives in the data
// and hash partitions. Returns the root hash.
std::string make_hash_image(plan::Plan& plan, const std::filesystem::path& data_image,
                            const std::filesystem::path& hash_image, exec::CommandRunner& runner);

} // namespace lethe::verity
