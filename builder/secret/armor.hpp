#pragma once
// age's ASCII armor: strict PEM, "-----BEGIN AGE ENCRYPTED FILE-----", padded
// base64 at 64 columns, "-----END AGE ENCRYPTED FILE-----".

#include <string>
#include <string_view>

namespace lethe::secret {

inline constexpr std::string_view armor_begin = "-----BEGIN AGE ENCRYPTED FILE-----";
inline constexpr std::string_view armor_end = "-----END AGE ENCRYPTED FILE-----";

std::string armor(std::string_view binary);

// True if `text`, after leading whitespace, starts with the armor's first line.
bool is_armored(std::string_view text);

// The binary file inside the armor; fail_input naming `origin` if the armor
// is malformed. As strict as age's reader (armor/armor.go): blank lines
// before the BEGIN line and whitespace after the END line, each under 1 KiB,
// LF or CRLF line ends, and nothing else but the canonical encoding (no
// blank line inside, no blanks on a line, padding only at the end).
std::string dearmor(std::string_view text, std::string_view origin);

} // namespace lethe::secret
