#pragma once
// The age v1 header: the version line, one stanza per recipient, and the
// MAC line. Parsing is strict, as age's is: one canonical form per header.

#include "secret/primitives.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::secret {

inline constexpr std::string_view version_line = "age-encryption.org/v1";

struct Stanza {
    std::string type;
    std::vector<std::string> args;
    Bytes body;
};

struct Header {
    std::vector<Stanza> stanzas;
    std::array<uint8_t, 32> mac{};
    // The header's bytes from the version line through "---", which the MAC covers.
    std::string mac_input;
};

struct ParsedFile {
    Header header;
    std::string_view payload; // everything after the header's last newline
};

// Splits a binary (unarmored) age file into header and payload; fail_input on
// a malformed header, naming `origin` when it is not empty.
ParsedFile parse_header(std::string_view file, std::string_view origin);

// The header text through "---" (no MAC yet): what the MAC is computed on.
std::string format_header_without_mac(const std::vector<Stanza>& stanzas);

// HMAC-SHA-256 of the header under HKDF(file key, "", "header").
std::array<uint8_t, 32> header_mac(const std::array<uint8_t, 16>& file_key, std::string_view mac_input);

} // namespace lethe::secret
