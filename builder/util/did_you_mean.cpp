#include "util/did_you_mean.hpp"

#include <algorithm>

namespace lethe {

size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment distance: a swap of two letters ("szie") is
    // one typo, not two. Three rows of the table are enough.
    std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        previous[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                current[j] = std::min(current[j], before[j - 2] + 1);
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    // Typos are made in names, not in pages of text: the table costs the
    // product of the two lengths, which a hostile file could make huge.
    constexpr size_t longest_word = 64;
    if (word.size() > longest_word) return {};
    size_t limit = std::max<size_t>(1, word.size() / 3);
    std::string best;
    size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        // The distance is at least the difference in length: skip the table.
        size_t shortest = std::min(word.size(), candidate.size());
        if (std::max(word.size(), candidate.size()) - shortest > limit) continue;
        size_t distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    std::string match = closest_match(word, candidates);
    return match.empty() ? "" : " (did you mean '" + match + "'?)";
}

} // namespace lethe
