#include "mkfs/ext4_times.hpp"

#include "util/error.hpp"
#include "util/file.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <utility>

namespace lethe::mkfs {
namespace {

using Range = std::pair<uint32_t, uint32_t>; // inclusive

uint32_t parse_number(std::string_view text, const std::string& line) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        fail("cannot read the output of dumpe2fs: '{}'", line);
    return value;
}

// "21-32768, 32770, 40000-40010" (one group's free inodes; may be empty).
void parse_ranges(std::string_view list, const std::string& line, std::vector<Range>& out) {
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (item.find_first_not_of(' ') == std::string_view::npos) continue;
        size_t dash = item.find('-');
        uint32_t first = parse_number(item.substr(0, dash), line);
        uint32_t last = dash == std::string_view::npos ? first : parse_number(item.substr(dash + 1), line);
        out.emplace_back(first, last);
    }
}

bool starts_with(const std::string& line, std::string_view prefix) {
    return line.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

std::vector<uint32_t> inodes_with_file_times(const std::string& dumpe2fs_output) {
    constexpr std::string_view count_key = "Inode count:", first_key = "First inode:";
    // Group lines are indented; the superblock's "Free inodes:" total is not.
    constexpr std::string_view free_key = "  Free inodes:";
    uint32_t count = 0, first = 0;
    std::vector<Range> free;
    std::istringstream in(dumpe2fs_output);
    for (std::string line; std::getline(in, line);) {
        if (starts_with(line, count_key)) count = parse_number(std::string_view(line).substr(count_key.size()), line);
        if (starts_with(line, first_key)) first = parse_number(std::string_view(line).substr(first_key.size()), line);
        if (starts_with(line, free_key)) parse_ranges(std::string_view(line).substr(free_key.size()), line, free);
    }
    if (count == 0 || first < 3) fail("cannot read the output of dumpe2fs: no 'Inode count:' or 'First inode:'");
    std::sort(free.begin(), free.end());
    std::vector<uint32_t> used{2};
    uint64_t next = first; // the first inode not yet classified
    for (const auto& [from, to] : free) {
        for (; next < from && next <= count; ++next) used.push_back(static_cast<uint32_t>(next));
        next = std::max<uint64_t>(next, uint64_t{to} + 1);
    }
    for (; next <= count; ++next) used.push_back(static_cast<uint32_t>(next));
    return used;
}

std::string reset_times_script(const std::vector<uint32_t>& inodes, int64_t epoch) {
    std::string script;
    script.reserve(inodes.size() * 8 * 32);
    std::string at = " @" + std::to_string(epoch) + "\n";
    for (uint32_t inode : inodes) {
        std::string prefix = "sif <" + std::to_string(inode) + "> ";
        for (const char* field : {"atime", "ctime", "mtime", "crtime"}) {
            script += prefix + field + "_extra 0\n";
            script += prefix + field + at;
        }
    }
    return script;
}

std::vector<std::string> debugfs_errors(const std::string& output) {
    std::vector<std::string> errors;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        // Its echo of each command, and its version banner.
        if (line.empty() || starts_with(line, "debugfs: sif ") || starts_with(line, "debugfs 1.")) continue;
        errors.push_back(line);
    }
    return errors;
}

void reset_inode_times(const std::filesystem::path& image, int64_t epoch, exec::CommandRunner& runner) {
    std::string listing = runner.run({{"dumpe2fs", image.string()}});
    std::filesystem::path script = image.string() + ".times.debugfs";
    write_file_atomic(script, reset_times_script(inodes_with_file_times(listing), epoch));
    // debugfs reports a failed request on stderr and still exits 0: read both.
    exec::Command fix{{"debugfs", "-w", "-f", script.string(), image.string()}};
    fix.merge_stderr = true;
    // debugfs stamps the superblock's write time when it closes the image.
    fix.env = {{"E2FSPROGS_FAKE_TIME", std::to_string(epoch)}};
    auto errors = debugfs_errors(runner.run(fix));
    std::error_code ec;
    std::filesystem::remove(script, ec);
    if (!errors.empty())
        fail("cannot set the inode times of '{}': debugfs: {}{}", image.string(), errors.front(),
             errors.size() > 1 ? fmt::format(" (and {} more errors)", errors.size() - 1) : "");
}

} // namespace lethe::mkfs
