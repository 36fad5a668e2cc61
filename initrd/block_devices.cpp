#include "initrd/block_devices.hpp"

#include "initrd/console_log.hpp"
#include "initrd/failure.hpp"
#include "initrd/fs_util.hpp"

#include <blkid/blkid.h>
#include <climits>
#include <cstdlib>
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

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

std::string first_line(const std::string& path) {
    std::string text = read_text_file(path);
    return text.substr(0, text.find('\n'));
}

// The partitions of DISK (/dev/vda): its sysfs directory's entries that have a
// `partition` file (vda1, vda2).
std::vector<std::string> partitions_of(const std::string& disk) {
    std::vector<std::string> partitions;
    std::string sys = "/sys/class/block/" + base_name(disk) + "/";
    for (const auto& name : block_device_names())
        if (exists(sys + name + "/partition")) partitions.push_back(name);
    return partitions;
}

// Why the partitions still MISSING did not appear, with the disks of those that did.
std::string describe_missing(const std::vector<WantedPartition>& wanted, const std::vector<std::string>& devices,
                             int timeout_seconds) {
    std::vector<WantedPartition> missing;
    std::vector<DiskListing> disks;
    for (size_t i = 0; i < wanted.size(); ++i) {
        if (devices[i].empty()) {
            missing.push_back(wanted[i]);
            continue;
        }
        try {
            std::string disk = disk_of(devices[i]).disk;
            disks.push_back({disk, wanted[i].what, partitions_of(disk)});
        } catch (const Failure&) {
            // not a partition (a whole disk found by UUID=): no listing
        }
    }
    return missing_partitions_message(timeout_seconds, missing, disks, block_device_names());
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

} // namespace

std::string find_tagged_device(const std::string& tag) {
    for (const auto& name : block_device_names()) {
        std::string device = "/dev/" + name;
        if (matches(device, tag)) return device;
    }
    return {};
}

FoundPartitions wait_for_partitions(const std::vector<WantedPartition>& wanted, int timeout_seconds,
                                    const std::function<void()>& before_poll) {
    FoundPartitions found{std::vector<std::string>(wanted.size()), {}};
    double deadline = seconds_since_boot() + timeout_seconds;
    for (;;) {
        if (before_poll) before_poll();
        bool all = true;
        for (size_t i = 0; i < wanted.size(); ++i) {
            if (found.devices[i].empty()) found.devices[i] = find_tagged_device(wanted[i].tag);
            all = all && !found.devices[i].empty();
        }
        if (all) return found;
        if (seconds_since_boot() >= deadline) {
            found.missing = describe_missing(wanted, found.devices, timeout_seconds);
            return found;
        }
        const timespec poll_interval{0, 100'000'000};
        nanosleep(&poll_interval, nullptr);
    }
}

// sysfs knows which disk a partition is on: /sys/class/block/vda3 links to
// .../block/vda/vda3, and vda3/partition holds its number.
DiskPartition disk_of(const std::string& device) {
    std::string sys = "/sys/class/block/" + base_name(device);
    if (!exists(sys + "/partition")) fail(device + " is not a partition of a disk");
    DiskPartition result;
    result.number = static_cast<unsigned>(std::strtoul(first_line(sys + "/partition").c_str(), nullptr, 10));
    char resolved[PATH_MAX];
    if (!realpath(sys.c_str(), resolved)) fail_errno("cannot resolve", sys);
    std::string path = resolved;
    result.disk = "/dev/" + base_name(path.substr(0, path.rfind('/')));
    return result;
}

} // namespace lethe::init
