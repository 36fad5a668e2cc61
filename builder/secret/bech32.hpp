#pragma once
// Bech32 (BIP-173; not bech32m), the encoding of age recipients ("age1...")
// and identities ("AGE-SECRET-KEY-1..."). Like age, and unlike BIP-173, no
// 90-character limit: identities are longer than that.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::secret::bech32 {

struct Decoded {
    std::string hrp; // in the case it was written in
    std::vector<uint8_t> data;
};

// Lower-case encoding of 8-bit `data` under human-readable part `hrp`.
std::string encode(std::string_view hrp, const std::vector<uint8_t>& data);

// Decodes and checks the checksum; rejects mixed case, characters outside
// the alphabet, and padding bits that are not zero. std::nullopt on any error.
std::optional<Decoded> decode(std::string_view text);

} // namespace lethe::secret::bech32
