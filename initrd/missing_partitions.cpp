#include "initrd/missing_partitions.hpp"

#include <algorithm>
#include <cctype>

namespace lethe::init {
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

std::string sorted_list(std::vector<std::string> names) {
    std::sort(names.begin(), names.end(), natural_less);
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "none" : out;
}

std::string partition_count(size_t count) {
    if (count == 0) return "no partitions";
    return std::to_string(count) + (count == 1 ? " partition: " : " partitions: ");
}

} // namespace

bool natural_less(const std::string& a, const std::string& b) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (is_digit(a[i]) && is_digit(b[j])) {
            size_t i_end = i, j_end = j;
            while (i_end < a.size() && is_digit(a[i_end])) ++i_end;
            while (j_end < b.size() && is_digit(b[j_end])) ++j_end;
            std::string x = a.substr(i, i_end - i), y = b.substr(j, j_end - j);
            x.erase(0, std::min(x.find_first_not_of('0'), x.size()));
            y.erase(0, std::min(y.find_first_not_of('0'), y.size()));
            if (x.size() != y.size()) return x.size() < y.size();
            if (x != y) return x < y;
            i = i_end, j = j_end;
        } else {
            if (a[i] != b[j]) return a[i] < b[j];
            ++i, ++j;
        }
    }
    return a.size() - i < b.size() - j;
}

std::string missing_partitions_message(int timeout_seconds, const std::vector<WantedPartition>& missing,
                                       const std::vector<DiskListing>& disks, std::vector<std::string> present) {
    std::string text = "timed out after " + std::to_string(timeout_seconds) + " s waiting for ";
    for (size_t i = 0; i < missing.size(); ++i)
        text += (i ? ", " : "") + missing[i].tag + " (" + missing[i].what + ")";
    for (const auto& disk : disks) {
        text += "; " + disk.disk + ", the disk of " + disk.holds + ", has " + partition_count(disk.partitions.size());
        if (!disk.partitions.empty()) text += sorted_list(disk.partitions);
    }
    return text + "; block devices present: " + sorted_list(std::move(present));
}

} // namespace lethe::init
