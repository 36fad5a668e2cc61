#include "stage/exposure.hpp"

#include "stage/tree_root.hpp"
#include "util/error.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

bool is_real_directory(const fs::path& path) {
    std::error_code ec;
    return fs::is_directory(fs::symlink_status(path, ec));
}

// Each component below the tree must be a directory, not a link.
bool walkable(const fs::path& tree, const fs::path& relative) {
    fs::path at = tree;
    for (const auto& part : relative) {
        at /= part;
        if (!is_real_directory(at)) return false;
    }
    return true;
}

// "9.6" -> 96, whatever the process's locale says a decimal point is.
int tenths(const std::string& score) {
    size_t dot = score.find('.');
    return std::stoi(score.substr(0, dot)) * 10 + (score[dot + 1] - '0');
}

// Whether the unit NAME (or its template, for an instance) has a file in the
// tree that is not a mask (a link to /dev/null, or an empty file, as systemd
// takes them), in systemd's order: a .wants link to a unit the image lacks or
// masks starts nothing, and systemd-analyze would refuse the whole list for it.
bool has_unit_file(const fs::path& tree, const std::string& name) {
    std::string file = name;
    if (size_t at = name.find('@'); at != std::string::npos) file = name.substr(0, at + 1) + ".service";
    TreeRoot root(tree);
    for (const char* dir : {"etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"}) {
        if (!walkable(tree, dir)) continue;
        std::string path = std::string(dir) + "/" + file;
        auto st = root.lstat(path);
        if (!st) continue;
        if (S_ISLNK(st->st_mode)) return root.read_link(path) != "/dev/null";
        return !(S_ISREG(st->st_mode) && st->st_size == 0);
    }
    return false;
}

bool rates_all(const std::vector<Exposure>& exposures, const std::vector<std::string>& units) {
    return std::all_of(units.begin(), units.end(), [&](const std::string& unit) {
        return std::any_of(exposures.begin(), exposures.end(), [&](const Exposure& e) { return e.unit == unit; });
    });
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

} // namespace

std::vector<std::string> enabled_services(const fs::path& tree) {
    std::set<std::string> services;
    for (const char* dir : {"etc/systemd/system", "usr/lib/systemd/system"}) {
        if (!walkable(tree, dir)) continue;
        for (const auto& wants : fs::directory_iterator(tree / dir)) {
            if (wants.path().extension() != ".wants" || !is_real_directory(wants.path())) continue;
            for (const auto& entry : fs::directory_iterator(wants.path()))
                if (entry.path().extension() == ".service" && has_unit_file(tree, entry.path().filename().string()))
                    services.insert(entry.path().filename().string());
        }
    }
    return {services.begin(), services.end()};
}

exec::Command exposure_command(const fs::path& tree, const std::vector<std::string>& units) {
    exec::Command command{
        {"systemd-analyze", "security", "--offline=yes", "--root=" + tree.string(), "--no-pager"}};
    command.argv.insert(command.argv.end(), units.begin(), units.end());
    command.env = {{"LC_ALL", "C"}, {"SYSTEMD_COLORS", "0"}};
    return command;
}

std::vector<Exposure> parse_exposure(const std::string& output) {
    static const std::regex overall(
        R"(^(?:->|\xE2\x86\x92) Overall exposure level for (\S+): ([0-9]+\.[0-9]) (\S+))");
    std::vector<Exposure> out;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        std::smatch match;
        if (std::regex_search(line, match, overall))
            out.push_back({match[1].str(), tenths(match[2].str()) / 10.0, match[3].str()});
    }
    return out;
}

std::vector<Exposure> measure_exposure(exec::CommandRunner& runner, const fs::path& tree,
                                       const std::vector<std::string>& units) {
    if (units.empty()) return {};
    try {
        std::vector<Exposure> exposures = parse_exposure(runner.run(exposure_command(tree, units)));
        if (rates_all(exposures, units)) return exposures;
    } catch (const Error&) {
        // One unit systemd-analyze cannot load fails the whole list: rate them one by one.
    }
    std::vector<Exposure> exposures;
    for (const auto& unit : units) {
        try {
            auto rated = parse_exposure(runner.run(exposure_command(tree, {unit})));
            if (rates_all(rated, {unit})) {
                exposures.push_back(rated.front());
                continue;
            }
            spdlog::warn("exposure: systemd-analyze security rated no exposure for {}: left out of the manifest", unit);
        } catch (const Error& e) {
            spdlog::warn("exposure: {}: left out of the manifest", first_line(e.what()));
        }
    }
    return exposures;
}

std::vector<Exposure> most_exposed(std::vector<Exposure> exposures, size_t count) {
    std::sort(exposures.begin(), exposures.end(), [](const Exposure& a, const Exposure& b) {
        return a.score != b.score ? a.score > b.score : a.unit < b.unit;
    });
    if (exposures.size() > count) exposures.resize(count);
    return exposures;
}

} // namespace lethe::stage
