#pragma once
// `lethe secret keygen|encrypt|decrypt`: the age-compatible CLI.

#include <CLI/CLI.hpp>

namespace lethe::secret {

void add_secret_command(CLI::App& app);

} // namespace lethe::secret
