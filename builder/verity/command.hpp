#pragma once
// The `lethe verify` subcommand (see verify.hpp).

#include <CLI/CLI.hpp>

namespace lethe::verity {

void add_verify_command(CLI::App& app);

} // namespace lethe::verity
