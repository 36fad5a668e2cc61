#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lethe {

// Edit distance (insertions, deletions, substitutions, adjacent swaps).
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible
// typo (at most a third of the word's length, at least 1 edit); else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'size'?)" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

} // namespace lethe
