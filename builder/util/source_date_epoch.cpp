#include "util/source_date_epoch.hpp"

#include "util/error.hpp"

#include <algorithm>

namespace lethe {

int64_t parse_source_date_epoch(std::string_view text) {
    if (text.empty())
        fail_input("SOURCE_DATE_EPOCH is set but empty: set it to seconds since 1970-01-01 UTC "
                   "(e.g. $(git log -1 --format=%ct)) or unset it");
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        fail_input("SOURCE_DATE_EPOCH='{}' is not a number of seconds since 1970-01-01 UTC: only "
                   "the digits "
                   "0-9, as `date +%s` prints",
                   text);
    int64_t value = 0;
    for (char c : text) {
        value = value * 10 + (c - '0');
        if (value > max_source_date_epoch)
            fail_input(
                "SOURCE_DATE_EPOCH={} is later than {} (2106-02-07 06:28:15 UTC), the last second "
                "the initrd's cpio archive and squashfs can record",
                text, max_source_date_epoch);
    }
    return value;
}

std::optional<int64_t> source_date_epoch_from(const char* value) {
    if (value == nullptr) return std::nullopt;
    return parse_source_date_epoch(value);
}

} // namespace lethe
