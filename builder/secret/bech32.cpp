#include "secret/bech32.hpp"

#include <cctype>

namespace lethe::secret::bech32 {
namespace {

constexpr std::string_view charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

uint32_t polymod(const std::vector<uint8_t>& values) {
    // Generator constants from BIP-173.
    constexpr uint32_t generator[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t chk = 1;
    for (uint8_t v : values) {
        uint32_t top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ v;
        for (int i = 0; i < 5; ++i) {
            if ((top >> i) & 1) chk ^= generator[i];
        }
    }
    return chk;
}

std::vector<uint8_t> expand_hrp(std::string_view hrp) {
    std::vector<uint8_t> out;
    for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
    out.push_back(0);
    for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
    return out;
}

// Regroups bits, e.g. 8-bit bytes into 5-bit symbols; `pad` says whether a
// partial final group is padded (encoding) or must be zero bits (decoding).
std::optional<std::vector<uint8_t>> convert_bits(const std::vector<uint8_t>& in, int from, int to, bool pad) {
    uint32_t acc = 0;
    int bits = 0;
    std::vector<uint8_t> out;
    const uint32_t max = (1u << to) - 1;
    for (uint8_t value : in) {
        if (value >> from) return std::nullopt;
        acc = (acc << from) | value;
        bits += from;
        while (bits >= to) {
            bits -= to;
            out.push_back(static_cast<uint8_t>((acc >> bits) & max));
        }
    }
    if (pad) {
        if (bits > 0) out.push_back(static_cast<uint8_t>((acc << (to - bits)) & max));
    } else if (bits >= from || ((acc << (to - bits)) & max) != 0) {
        return std::nullopt;
    }
    return out;
}

} // namespace

std::string encode(std::string_view hrp, const std::vector<uint8_t>& data) {
    std::string lower_hrp;
    for (char c : hrp) lower_hrp.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    std::vector<uint8_t> symbols = *convert_bits(data, 8, 5, true);
    std::vector<uint8_t> values = expand_hrp(lower_hrp);
    values.insert(values.end(), symbols.begin(), symbols.end());
    values.insert(values.end(), 6, 0);
    uint32_t mod = polymod(values) ^ 1;
    std::string out = lower_hrp + "1";
    for (uint8_t s : symbols) out.push_back(charset[s]);
    for (int i = 0; i < 6; ++i) out.push_back(charset[(mod >> (5 * (5 - i))) & 31]);
    return out;
}

std::optional<Decoded> decode(std::string_view text) {
    bool lower = false, upper = false;
    for (char c : text) {
        if (c < 33 || c > 126) return std::nullopt;
        lower |= (c >= 'a' && c <= 'z');
        upper |= (c >= 'A' && c <= 'Z');
    }
    if (lower && upper) return std::nullopt;
    size_t separator = text.rfind('1');
    if (separator == std::string_view::npos || separator < 1 || separator + 7 > text.size()) return std::nullopt;
    std::string hrp;
    for (char c : text.substr(0, separator)) hrp.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    std::vector<uint8_t> values;
    for (char c : text.substr(separator + 1)) {
        size_t pos = charset.find(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (pos == std::string_view::npos) return std::nullopt;
        values.push_back(static_cast<uint8_t>(pos));
    }
    std::vector<uint8_t> check = expand_hrp(hrp);
    check.insert(check.end(), values.begin(), values.end());
    if (polymod(check) != 1) return std::nullopt;
    values.resize(values.size() - 6);
    auto data = convert_bits(values, 5, 8, false);
    if (!data) return std::nullopt;
    return Decoded{std::string(text.substr(0, separator)), std::move(*data)};
}

} // namespace lethe::secret::bech32
