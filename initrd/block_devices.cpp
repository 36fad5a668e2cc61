#include "initrd/block_devices.hpp"

#include "initrd/console_log.hpp"
#include "initrd/failure.hpp"

#include <blkid/blkid.h>
#include <cstring>
#include <dirent.h>
#include <strings.h>
#include <time.h>

namespace lethe::init {
namespace {

std::vector<std::string> block_device_names() {
    std::vector<std::string> names;
    DIR* dir = opendir("/sys/class/block");
    if (!dir) return names;
    while (dirent* entry = readdir(dir))
        if (entry->d_name[0] != '.') names.push_back(entry->d_name);
    closedir(dir);
    return names;
}

// The probe value a tag names: PARTUUID is GPT's partition entry UUID, etc.
const char* probe_value_name(const std::string& tag_name) {
    if (tag_name == "PARTUUID") return "PART_ENTRY_UUID";
    if (tag_name == "PARTLABEL") return "PART_ENTRY_NAME";
    return tag_name == "UUID" ? "UUID" : "LABEL"; // the parser accepts no other tag
}

bool matches(const std::string& device, const std::string& tag) {
    size_t equals = tag.find('=');
    std::string name = tag.substr(0, equals), wanted = tag.substr(equals + 1);
    blkid_probe probe = blkid_new_probe_from_filename(device.c_str());
    if (!probe) return false; // not openable (yet), or an empty loop device
    // Only the probes the tag needs: trying every file system's superblock
    // for a PARTUUID is most of the wait under emulation.
    bool partition_tag = name == "PARTUUID" || name == "PARTLABEL";
    blkid_probe_enable_superblocks(probe, partition_tag ? 0 : 1);
    if (!partition_tag)
        blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE);
    blkid_probe_enable_partitions(probe, partition_tag ? 1 : 0);
    if (partition_tag) blkid_probe_set_partitions_flags(probe, BLKID_PARTS_ENTRY_DETAILS);
    bool found = false;
    const char* value = nullptr;
    if (blkid_do_safeprobe(probe) == 0 &&
        blkid_probe_lookup_value(probe, probe_value_name(name), &value, nullptr) == 0) {
        // UUIDs compare without case: GPT stores bytes, tools print either case.
        bool is_uuid = name == "PARTUUID" || name == "UUID";
        found = is_uuid ? strcasecmp(value, wanted.c_str()) == 0 : wanted == value;
    }
    blkid_free_probe(probe);
    return found;
}

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "none" : out;
}

} // namespace

std::string find_tagged_device(const std::string& tag) {
    for (const auto& name : block_device_names()) {
        std::string device = "/dev/" + name;
        if (matches(device, tag)) return device;
    }
    return {};
}

std::vector<std::string> wait_for_devices(const std::vector<std::string>& tags, int timeout_seconds,
                                          const std::function<void()>& before_poll) {
    std::vector<std::string> devices(tags.size());
    double deadline = seconds_since_boot() + timeout_seconds;
    for (;;) {
        if (before_poll) before_poll();
        std::vector<std::string> missing;
        for (size_t i = 0; i < tags.size(); ++i) {
            if (devices[i].empty()) devices[i] = find_tagged_device(tags[i]);
            if (devices[i].empty()) missing.push_back(tags[i]);
        }
        if (missing.empty()) return devices;
        if (seconds_since_boot() >= deadline)
            fail("timed out after " + std::to_string(timeout_seconds) + " s waiting for " + join_names(missing) +
                 "; block devices present: " + join_names(block_device_names()));
        const timespec poll_interval{0, 100'000'000};
        nanosleep(&poll_interval, nullptr);
    }
}

} // namespace lethe::init
