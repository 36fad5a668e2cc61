#include "stage/units.hpp"

#include "stage/image_files.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

std::string trim(const std::string& text) {
    size_t begin = text.find_first_not_of(" \t");
    size_t end = text.find_last_not_of(" \t\r");
    return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

std::vector<std::string> words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

// A directory such as systemd-machine-id-commit.service.d/ holds drop-ins
// that amend a unit the image already has; they go in as they are.
std::string install_dropins(const fs::path& system, const fs::path& dir, int64_t epoch) {
    fs::path target = system / dir.filename();
    fs::create_directories(target);
    std::vector<fs::path> confs;
    for (const auto& entry : fs::directory_iterator(dir)) confs.push_back(entry.path());
    std::sort(confs.begin(), confs.end());
    for (const auto& conf : confs) {
        write_file_atomic(target / conf.filename(), read_file(conf), 0644);
        set_times(target / conf.filename(), epoch);
    }
    set_times(target, epoch);
    return (dir.filename() / "").string();
}

} // namespace

UnitTemplate parse_unit_template(const std::string& name, const std::string& text) {
    UnitTemplate unit{name, text, {}, {}};
    std::istringstream in(text);
    std::string section;
    const std::string requires_marker = "# lethe-requires:";
    for (std::string line; std::getline(in, line);) {
        line = trim(line);
        if (line.rfind(requires_marker, 0) == 0) {
            for (auto& path : words(line.substr(requires_marker.size()))) unit.requires_paths.push_back(path);
        } else if (!line.empty() && line.front() == '[') {
            section = line;
        } else if (section == "[Install]" && line.rfind("WantedBy=", 0) == 0) {
            for (auto& target : words(line.substr(9))) unit.wanted_by.push_back(target);
        }
    }
    return unit;
}

std::vector<std::string> parse_unit_list(const std::string& text) {
    std::vector<std::string> names;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        line = trim(line.substr(0, line.find('#')));
        if (!line.empty()) names.push_back(line);
    }
    return names;
}

void install_unit(const fs::path& rootfs, const UnitTemplate& unit, int64_t epoch) {
    fs::path system = rootfs / "etc/systemd/system";
    fs::create_directories(system);
    write_file_atomic(system / unit.name, unit.text, 0644);
    set_times(system / unit.name, epoch);
    for (const auto& target : unit.wanted_by) {
        fs::path wants = system / (target + ".wants");
        fs::create_directories(wants);
        fs::path link = wants / unit.name;
        fs::remove(link);
        fs::create_symlink("/etc/systemd/system/" + unit.name, link);
        set_times(link, epoch);
        set_times(wants, epoch);
    }
}

std::vector<std::string> install_units(const fs::path& rootfs, const fs::path& templates,
                                       const std::vector<std::string>& masked, int64_t epoch) {
    std::vector<fs::path> files, dropin_dirs;
    for (const auto& entry : fs::directory_iterator(templates))
        (entry.is_directory() ? dropin_dirs : files).push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::sort(dropin_dirs.begin(), dropin_dirs.end());
    fs::path system = rootfs / "etc/systemd/system";
    fs::create_directories(system);
    std::vector<std::string> installed;
    for (const auto& dir : dropin_dirs) installed.push_back(install_dropins(system, dir, epoch));
    for (const auto& file : files) {
        UnitTemplate unit = parse_unit_template(file.filename().string(), read_file(file));
        // Never follow a link: in a rootfs, absolute links point into the host.
        bool usable = std::all_of(unit.requires_paths.begin(), unit.requires_paths.end(), [&](const std::string& p) {
            return fs::exists(fs::symlink_status(rootfs / fs::path(p).relative_path()));
        });
        if (!usable) {
            spdlog::debug("not installing {}: the image lacks what it needs", unit.name);
            continue;
        }
        install_unit(rootfs, unit, epoch);
        installed.push_back(unit.name);
    }
    for (const auto& name : masked) {
        fs::path link = system / name;
        fs::remove(link);
        fs::create_symlink("/dev/null", link);
        set_times(link, epoch);
    }
    return installed;
}

std::vector<exec::Command> preset_commands(const fs::path& rootfs) {
    bool has_presets = false;
    for (const char* dir : {"usr/lib/systemd/system-preset", "lib/systemd/system-preset", "etc/systemd/system-preset"})
        has_presets = has_presets || fs::is_directory(fs::symlink_status(rootfs / dir));
    if (!has_presets) return {};
    return {{{"systemctl", "--root=" + rootfs.string(), "--preset-mode=enable-only", "preset-all"}}};
}

} // namespace lethe::stage
