#include "stage/units.hpp"

#include "stage/image_files.hpp"
#include "stage/tree_root.hpp"
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

// Where lethe's units go, as a path in the image (resolved inside the rootfs).
const std::string system_dir = "etc/systemd/system";

// A directory such as systemd-machine-id-commit.service.d/ holds drop-ins
// that amend a unit the image already has; they go in as they are.
std::string install_dropins(const TreeRoot& tree, const fs::path& dir, int64_t epoch) {
    std::string target = system_dir + "/" + dir.filename().string();
    tree.make_directories(target);
    std::vector<fs::path> confs;
    for (const auto& entry : fs::directory_iterator(dir)) confs.push_back(entry.path());
    std::sort(confs.begin(), confs.end());
    for (const auto& conf : confs) {
        tree.write_atomic(target + "/" + conf.filename().string(), read_file(conf), 0644);
        tree.set_times(target + "/" + conf.filename().string(), epoch);
    }
    tree.set_times(target, epoch);
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
    TreeRoot tree(rootfs);
    tree.make_directories(system_dir);
    tree.write_atomic(system_dir + "/" + unit.name, unit.text, 0644);
    tree.set_times(system_dir + "/" + unit.name, epoch);
    for (const auto& target : unit.wanted_by) {
        std::string wants = system_dir + "/" + target + ".wants";
        tree.make_directories(wants);
        std::string link = wants + "/" + unit.name;
        tree.remove(link);
        tree.symlink("/etc/systemd/system/" + unit.name, link);
        tree.set_times(link, epoch);
        tree.set_times(wants, epoch);
    }
}

std::vector<std::string> install_units(const fs::path& rootfs, const fs::path& templates,
                                       const std::vector<std::string>& masked, int64_t epoch) {
    std::vector<fs::path> files, dropin_dirs;
    for (const auto& entry : fs::directory_iterator(templates))
        (entry.is_directory() ? dropin_dirs : files).push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::sort(dropin_dirs.begin(), dropin_dirs.end());
    TreeRoot tree(rootfs);
    tree.make_directories(system_dir);
    std::vector<std::string> installed;
    for (const auto& dir : dropin_dirs) installed.push_back(install_dropins(tree, dir, epoch));
    for (const auto& file : files) {
        UnitTemplate unit = parse_unit_template(file.filename().string(), read_file(file));
        bool usable = std::all_of(unit.requires_paths.begin(), unit.requires_paths.end(),
                                  [&](const std::string& p) { return tree.exists(p); });
        if (!usable) {
            spdlog::debug("not installing {}: the image lacks what it needs", unit.name);
            continue;
        }
        install_unit(rootfs, unit, epoch);
        installed.push_back(unit.name);
    }
    for (const auto& name : masked) {
        std::string link = system_dir + "/" + name;
        tree.remove(link);
        tree.symlink("/dev/null", link);
        tree.set_times(link, epoch);
    }
    return installed;
}

std::vector<exec::Command> preset_commands(const fs::path& rootfs) {
    bool has_presets = false;
    TreeRoot tree(rootfs);
    for (const char* dir : {"usr/lib/systemd/system-preset", "lib/systemd/system-preset", "etc/systemd/system-preset"}) {
        auto st = tree.lstat(dir);
        has_presets = has_presets || (st && S_ISDIR(st->st_mode));
    }
    if (!has_presets) return {};
    return {{{"systemctl", "--root=" + rootfs.string(), "--preset-mode=enable-only", "preset-all"}}};
}

} // namespace lethe::stage
