#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lethe {

// "512M", "2G", "1GiB", "1048576" -> bytes (binary units); nullopt if malformed.
std::optional<uint64_t> parse_size(std::string_view text);

// 2147483648 -> "2 GiB", 1572864 -> "1.5 MiB".
std::string human_size(uint64_t bytes);

} // namespace lethe
