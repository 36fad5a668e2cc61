#include "secret/armor.hpp"

#include "secret/primitives.hpp"
#include "util/error.hpp"

namespace lethe::secret {
namespace {

constexpr size_t columns = 64;
constexpr std::string_view whitespace = " \t\r\n";

std::string_view trim(std::string_view s) {
    size_t start = s.find_first_not_of(whitespace);
    if (start == std::string_view::npos) return {};
    return s.substr(start, s.find_last_not_of(whitespace) - start + 1);
}

[[noreturn]] void malformed(std::string_view origin, std::string_view why) {
    fail_input("{}invalid armor: {}", origin.empty() ? "" : std::string(origin) + ": ", why);
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
    std::string_view rest = trim(text);
    std::string encoded;
    bool begun = false, ended = false, short_line = false;
    while (!rest.empty() && !ended) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (!begun) {
            if (line != armor_begin) malformed(origin, "the first line is not " + std::string(armor_begin));
            begun = true;
        } else if (line == armor_end) {
            ended = true;
        } else {
            if (short_line) malformed(origin, "a line shorter than 64 columns is not the last one");
            if (line.size() > columns) malformed(origin, "a line is longer than 64 columns");
            short_line = line.size() < columns;
            encoded += line;
        }
    }
    if (!ended) malformed(origin, "no " + std::string(armor_end) + " line; the file is truncated");
    if (!rest.empty()) malformed(origin, "data after the end line");
    Bytes binary;
    if (encoded.empty() || !base64_decode(encoded, true, binary)) malformed(origin, "the content is not canonical base64");
    return {binary.begin(), binary.end()};
}

} // namespace lethe::secret
