#include "secret/armor.hpp"

#include "secret/primitives.hpp"
#include "util/error.hpp"

#include <optional>

namespace lethe::secret {
namespace {

constexpr size_t columns = 64;
constexpr size_t bytes_per_line = columns / 4 * 3;
// age allows this much whitespace around the block, and no more.
constexpr size_t max_whitespace = 1024;
constexpr std::string_view whitespace = " \t\r\n\v\f";

bool is_blank(std::string_view s) {
    return s.find_first_not_of(whitespace) == std::string_view::npos;
}

[[noreturn]] void malformed(std::string_view origin, std::string_view why) {
    fail_input("{}invalid armor: {}", origin.empty() ? "" : std::string(origin) + ": ", why);
}

// Takes one line off the front of `rest`, without its "\n" or "\r\n";
// nothing when `rest` is empty. A last line needs no "\n".
std::optional<std::string_view> next_line(std::string_view& rest) {
    if (rest.empty()) return std::nullopt;
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
}

// Blank lines, then the BEGIN line exactly: no blanks on it.
void skip_to_begin(std::string_view& rest, std::string_view origin) {
    size_t skipped = 0;
    while (auto line = next_line(rest)) {
        if (*line == armor_begin) return;
        if (!is_blank(*line))
            malformed(origin, "the first line is not " + std::string(armor_begin));
        skipped += line->size() + 1;
        if (skipped > max_whitespace)
            malformed(origin, "more than 1024 bytes of whitespace before the armor");
    }
    malformed(origin, "no " + std::string(armor_begin) + " line");
}

// The base64 lines, each decoded on its own as age does: full lines of 64
// columns (48 bytes), then one shorter line, or none when the content is a
// multiple of 48 bytes, and the END line. Padding only on the last line.
std::string read_body(std::string_view& rest, std::string_view origin) {
    const std::string truncated = "no " + std::string(armor_end) + " line; the file is truncated";
    std::string binary;
    while (true) {
        auto line = next_line(rest);
        if (!line) malformed(origin, truncated);
        if (*line == armor_end) return binary;
        if (line->empty()) malformed(origin, "an empty line inside the armor");
        if (line->size() > columns) malformed(origin, "a line is longer than 64 columns");
        Bytes chunk;
        if (!base64_decode(*line, true, chunk)) malformed(origin, "a line is not canonical base64");
        binary.append(chunk.begin(), chunk.end());
        if (chunk.size() == bytes_per_line) continue;
        line = next_line(rest);
        if (!line) malformed(origin, truncated);
        if (*line != armor_end)
            malformed(origin,
                      "a short line (under 48 bytes) is not followed by " + std::string(armor_end));
        return binary;
    }
}

} // namespace

std::string armor(std::string_view binary) {
    std::string encoded = base64_padded(reinterpret_cast<const uint8_t*>(binary.data()), binary.size());
    std::string out = std::string(armor_begin) + "\n";
    for (size_t pos = 0; pos < encoded.size(); pos += columns) out += encoded.substr(pos, columns) + "\n";
    return out + std::string(armor_end) + "\n";
}

bool is_armored(std::string_view text) {
    size_t start = text.find_first_not_of(whitespace);
    return start != std::string_view::npos && text.substr(start).starts_with(armor_begin);
}

std::string dearmor(std::string_view text, std::string_view origin) {
    std::string_view rest = text;
    skip_to_begin(rest, origin);
    std::string binary = read_body(rest, origin);
    if (!is_blank(rest)) malformed(origin, "data after the end line");
    if (rest.size() >= max_whitespace)
        malformed(origin, "1024 bytes or more of whitespace after the armor");
    return binary;
}

} // namespace lethe::secret
