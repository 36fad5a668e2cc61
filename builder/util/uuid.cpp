#include "util/uuid.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace lethe {
namespace {

std::array<uint8_t, 16> derive_bytes(std::string_view seed, std::string_view purpose) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size());
    std::array<uint8_t, crypto_auth_hmacsha256_BYTES> mac{};
    crypto_auth_hmacsha256_final(&state, mac.data());
    std::array<uint8_t, 16> out{};
    std::copy_n(mac.begin(), out.size(), out.begin());
    return out;
}

std::string format_uuid(const std::array<uint8_t, 16>& b) {
    std::string hex;
    for (size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
        hex += fmt::format("{:02x}", b[i]);
    }
    return hex;
}

} // namespace

std::string derive_uuid(std::string_view seed, std::string_view purpose) {
    auto bytes = derive_bytes(seed, purpose);
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40); // version 4
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
    return format_uuid(bytes);
}

} // namespace lethe
