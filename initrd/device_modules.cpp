#include "initrd/device_modules.hpp"

#include "initrd/fs_util.hpp"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

namespace lethe::init {
namespace {

std::vector<std::string> directory_names(const std::string& path) {
    std::vector<std::string> names;
    DIR* dir = opendir(path.c_str());
    if (!dir) return names; // a bus without devices, or no such directory: nothing to match
    while (dirent* entry = readdir(dir))
        if (entry->d_name[0] != '.') names.push_back(entry->d_name);
    closedir(dir);
    return names;
}

// A modalias file holds one line; "" when it is missing (not every device has one).
std::string read_modalias(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    char buffer[512];
    ssize_t got = read(fd, buffer, sizeof buffer);
    close(fd);
    if (got <= 0) return {};
    std::string text(buffer, static_cast<size_t>(got));
    return text.substr(0, text.find('\n'));
}

} // namespace

std::string normalize_modalias(std::string_view modalias) {
    std::string out(modalias);
    bool in_class = false;
    for (char& c : out) {
        if (c == '[') in_class = true;
        else if (c == ']') in_class = false;
        else if (c == '-' && !in_class) c = '_';
    }
    return out;
}

std::vector<std::string> device_modaliases(const std::string& sys) {
    std::vector<std::string> modaliases;
    std::string buses = join(sys, "/bus");
    for (const auto& bus : directory_names(buses)) {
        std::string devices = buses + "/" + bus + "/devices";
        for (const auto& device : directory_names(devices)) {
            std::string modalias = read_modalias(devices + "/" + device + "/modalias");
            if (!modalias.empty()) modaliases.push_back(normalize_modalias(modalias));
        }
    }
    std::sort(modaliases.begin(), modaliases.end());
    return modaliases;
}

bool matches_any(const std::vector<std::string>& patterns, const std::vector<std::string>& modaliases) {
    for (const auto& pattern : patterns)
        for (const auto& modalias : modaliases)
            if (fnmatch(pattern.c_str(), modalias.c_str(), 0) == 0) return true;
    return false;
}

size_t load_device_modules(std::vector<DeviceModule>& pending, const ScanDevices& scan, const LoadModule& load) {
    size_t loaded = 0;
    for (;;) {
        if (pending.empty()) return loaded;
        std::vector<std::string> modaliases = scan();
        std::vector<DeviceModule> still_pending;
        size_t before = loaded;
        for (const auto& module : pending) {
            if (!matches_any(module.patterns, modaliases)) {
                still_pending.push_back(module);
                continue;
            }
            load(module); // tried once: a module that fails to load is not retried
            ++loaded;
        }
        pending = std::move(still_pending);
        if (loaded == before) return loaded;
    }
}

} // namespace lethe::init
