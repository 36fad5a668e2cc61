#include "secret/header.hpp"

#include "util/error.hpp"

#include <algorithm>

namespace lethe::secret {
namespace {

// age wraps base64 bodies at 64 columns; a body ends with its first shorter line.
constexpr size_t columns = 64;

std::string where(std::string_view origin) { return origin.empty() ? "" : std::string(origin) + ": "; }

[[noreturn]] void malformed(std::string_view origin, std::string_view why) {
    fail_input("{}malformed age header: {}", where(origin), why);
}

// Takes one '\n'-terminated line off the front of `rest`.
std::string_view next_line(std::string_view& rest, std::string_view origin) {
    size_t end = rest.find('\n');
    if (end == std::string_view::npos) fail_input("{}the file is truncated (in the header)", where(origin));
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    return line;
}

bool is_argument(std::string_view arg) {
    if (arg.empty()) return false;
    for (char c : arg) {
        if (c < 33 || c > 126) return false;
    }
    return true;
}

Stanza parse_stanza_line(std::string_view line, std::string_view origin) {
    Stanza stanza;
    std::string_view rest = line.substr(3); // after "-> "
    while (true) {
        size_t space = rest.find(' ');
        std::string_view arg = rest.substr(0, space);
        if (!is_argument(arg)) malformed(origin, "a stanza has an empty or invalid argument");
        if (stanza.type.empty()) {
            stanza.type = arg;
        } else {
            stanza.args.emplace_back(arg);
        }
        if (space == std::string_view::npos) break;
        rest.remove_prefix(space + 1);
    }
    return stanza;
}

void parse_body(Stanza& stanza, std::string_view& rest, std::string_view origin) {
    std::string text;
    while (true) {
        std::string_view line = next_line(rest, origin);
        if (line.size() > columns) malformed(origin, "a stanza body line is longer than 64 columns");
        text += line;
        if (line.size() < columns) break;
    }
    if (!base64_decode(text, false, stanza.body)) malformed(origin, "a stanza body is not canonical base64");
}

} // namespace

ParsedFile parse_header(std::string_view file, std::string_view origin) {
    std::string_view rest = file;
    std::string_view first = next_line(rest, origin);
    if (first != version_line) {
        if (first.starts_with("age-encryption.org/")) fail_input("{}unsupported age version '{}'", where(origin), first);
        fail_input("{}not an age file", where(origin));
    }
    ParsedFile parsed;
    while (true) {
        size_t line_start = static_cast<size_t>(rest.data() - file.data());
        std::string_view line = next_line(rest, origin);
        if (line.starts_with("-> ")) {
            parsed.header.stanzas.push_back(parse_stanza_line(line, origin));
            parse_body(parsed.header.stanzas.back(), rest, origin);
            continue;
        }
        if (!line.starts_with("--- ")) malformed(origin, "expected a stanza ('-> ') or the MAC line ('--- ')");
        Bytes mac;
        if (!base64_decode(line.substr(4), false, mac) || mac.size() != 32) malformed(origin, "invalid header MAC");
        std::copy(mac.begin(), mac.end(), parsed.header.mac.begin());
        parsed.header.mac_input = std::string(file.substr(0, line_start + 3));
        break;
    }
    if (parsed.header.stanzas.empty()) malformed(origin, "no recipient stanzas");
    parsed.payload = rest;
    return parsed;
}

std::string format_header_without_mac(const std::vector<Stanza>& stanzas) {
    std::string out = std::string(version_line) + "\n";
    for (const Stanza& stanza : stanzas) {
        out += "-> " + stanza.type;
        for (const std::string& arg : stanza.args) out += " " + arg;
        out += "\n";
        std::string body = base64_raw(stanza.body.data(), stanza.body.size());
        // Full lines, then a final shorter (possibly empty) line that ends the body.
        size_t pos = 0;
        for (; body.size() - pos >= columns; pos += columns) out += body.substr(pos, columns) + "\n";
        out += body.substr(pos) + "\n";
    }
    return out + "---";
}

std::array<uint8_t, 32> header_mac(const std::array<uint8_t, 16>& file_key, std::string_view mac_input) {
    std::array<uint8_t, 32> key = hkdf_sha256(file_key.data(), file_key.size(), nullptr, 0, "header");
    Wipe wipe_key(key);
    return hmac_sha256(key.data(), key.size(), mac_input);
}

} // namespace lethe::secret
