#pragma once

#include <string>
#include <string_view>

namespace lethe {

// A UUID (RFC 4122 version 4 layout) derived from a seed and a purpose, as
// systemd-repart does: HMAC-SHA256(key = seed, message = purpose), truncated
// to 128 bits. The same recipe always yields the same UUIDs, and different
// recipes (different seeds) never share them.
std::string derive_uuid(std::string_view seed, std::string_view purpose);

} // namespace lethe
