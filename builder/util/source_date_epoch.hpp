#pragma once
// SOURCE_DATE_EPOCH (reproducible-builds.org/specs/source-date-epoch): the
// time every timestamp of a build is set to. The specification asks for a
// decimal integer, as `date +%s` prints, and for builds to fail on anything
// else rather than guess; so a value that is not entirely digits (empty,
// signed, "1700000000abc") or too large is bad input (exit status 2).

#include <cstdint>
#include <optional>
#include <string_view>

namespace lethe {

// The last second the initrd's cpio (newc: 8 hex digits) and squashfs (32
// bits, unsigned) can record: 2106-02-07 06:28:15 UTC.
inline constexpr int64_t max_source_date_epoch = 4294967295;

int64_t parse_source_date_epoch(std::string_view text);

// nullopt when the variable is not set (`value` is getenv's result).
std::optional<int64_t> source_date_epoch_from(const char* value);

} // namespace lethe
