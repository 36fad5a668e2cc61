#include "plan/json_text.hpp"

#include <fmt/format.h>

namespace lethe::plan {
namespace {

// The length of the valid UTF-8 sequence at TEXT[I], or 0: no overlong
// forms, no surrogates, nothing above U+10FFFF (RFC 3629).
size_t sequence_length(std::string_view text, size_t i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    size_t length = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
    if (length == 0 || i + length > text.size()) return 0;
    for (size_t k = 1; k < length; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    unsigned char second = byte(i + 1);
    if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) || (lead == 0xF0 && second < 0x90) ||
        (lead == 0xF4 && second > 0x8F))
        return 0;
    return length;
}

void make_safe(nlohmann::ordered_json& value) {
    if (value.is_string()) value = json_safe_string(value.get_ref<const std::string&>());
    else if (value.is_structured())
        for (auto& child : value) make_safe(child);
}

} // namespace

bool is_valid_utf8(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        size_t length = sequence_length(text, i);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

std::string json_safe_string(const std::string& text) {
    if (is_valid_utf8(text) && !text.starts_with('"')) return text;
    std::string quoted = "\"";
    for (size_t i = 0; i < text.size();) {
        size_t length = sequence_length(text, i);
        if (length == 0) {
            quoted += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
            ++i;
            continue;
        }
        if (text[i] == '\\' || text[i] == '"') quoted += '\\';
        quoted.append(text, i, length);
        i += length;
    }
    return quoted + "\"";
}

std::string json_text(nlohmann::ordered_json value) {
    make_safe(value);
    return value.dump(2) + "\n";
}

} // namespace lethe::plan
