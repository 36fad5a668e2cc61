#pragma once
// SHA-256 for SHA256SUMS, the manifest's inputs and cache keys. OpenSSL's,
// because it uses the CPU's SHA extensions: a disk's data hashes about four
// times faster than with a portable implementation, and every build hashes
// each output it publishes.

#include <filesystem>
#include <string>
#include <string_view>

namespace lethe {

// Lower-case hex SHA-256 of a file's bytes. Holes are hashed as the zeros
// they read as, without reading them.
std::string sha256_file(const std::filesystem::path& path);
std::string sha256_hex(std::string_view bytes);

} // namespace lethe
