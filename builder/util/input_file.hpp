#pragma once
// Reading a small file the user names (a recipe, a layout, an identity or
// recipients file). It must be a regular file (a FIFO would block, a
// directory or /dev/zero never ends) and at most `max_bytes` long; every
// refusal, a missing file included, is bad input (exit status 2) naming the
// path and the reason.

#include <cstdint>
#include <string>
#include <string_view>

namespace lethe {

// Recipes and layouts are a few KiB; 1 MiB leaves room and bounds the parse.
inline constexpr uint64_t max_spec_file_bytes = 1 << 20;
// An identity or recipients file holds a key a line.
inline constexpr uint64_t max_key_file_bytes = 1 << 20;
// `lethe secret` holds a whole file in memory; its secrets are small.
inline constexpr uint64_t max_secret_file_bytes = uint64_t{1} << 30;

// `kind` names the file in messages: "recipe", "layout", "identity file".
std::string read_input_file(const std::string& path, uint64_t max_bytes, std::string_view kind);

} // namespace lethe
