#include "util/size.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <limits>

namespace lethe {

std::optional<uint64_t> parse_size(std::string_view text) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0) return std::nullopt;
    uint64_t value = 0;
    for (size_t i = 0; i < digits; ++i) {
        if (value > (std::numeric_limits<uint64_t>::max() - 9) / 10) return std::nullopt;
        value = value * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    std::string suffix(text.substr(digits));
    static const std::array<std::string_view, 5> units = {"", "K", "M", "G", "T"};
    for (size_t power = 0; power < units.size(); ++power) {
        std::string unit(units[power]);
        if (suffix == unit || (power > 0 && (suffix == unit + "iB" || suffix == unit + "B"))) {
            for (size_t i = 0; i < power; ++i) {
                if (value > std::numeric_limits<uint64_t>::max() / 1024) return std::nullopt;
                value *= 1024;
            }
            return value;
        }
    }
    return std::nullopt;
}

std::string human_size(uint64_t bytes) {
    static const std::array<const char*, 5> units = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t unit = 0;
    double value = static_cast<double>(bytes);
    while (value >= 1024 && unit + 1 < units.size()) {
        value /= 1024;
        ++unit;
    }
    if (unit == 0) return fmt::format("{} B", bytes);
    std::string number = fmt::format("{:.1f}", value);
    if (number.size() > 2 && number.compare(number.size() - 2, 2, ".0") == 0)
        number.resize(number.size() - 2);
    return number + " " + units[unit];
}

} // namespace lethe
