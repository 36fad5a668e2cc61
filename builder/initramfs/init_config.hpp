#pragma once
// The configuration lethe-init reads from /lethe/init.conf in the initrd (its
// format is described in initrd/README.md). Rendering it is pure.

#include "initramfs/resolve.hpp"
#include "plan/plan.hpp"
#include "stage/split.hpp"

#include <string>
#include <utility>
#include <vector>

namespace lethe::initramfs {

// A module lethe-init loads only once a device's modalias matches one of
// its patterns (a disk driver the machine may not have).
struct DeviceModule {
    std::string path;                  // inside the initrd
    std::vector<std::string> patterns; // fnmatch, normalized ('-' is '_')
};

struct InitConfig {
    int timeout_seconds = 30;
    int rescue_delay_seconds = 30;
    std::string rescue;               // a shell to run on failure; empty: reboot
    std::vector<std::string> modules; // paths inside the initrd, in load order: always loaded
    std::vector<DeviceModule> device_modules; // in load order, after `modules`
    std::string root_tmpfs_options;
    std::string usr_tag, usr_fstype;
    std::string persist_tag, persist_fstype, persist_mount;
    bool grow_persist = false; // grow the partition and its ext4 to the end of a larger disk
    std::string fsck; // e2fsck inside the image; empty: none
    std::vector<stage::Link> links;
    std::vector<std::pair<std::string, std::string>> factory; // source in the new root, destination
    std::vector<stage::Directory> directories;
    std::vector<stage::PersistedPath> binds;
    std::string init = "/sbin/init";
};

// What lethe-init must do for this plan and this split tree.
InitConfig make_init_config(const plan::Plan& plan, const stage::SplitTree& tree,
                            const InitrdModules& modules, bool image_has_e2fsck);

std::string render_init_config(const InitConfig& config);

// Fields with blanks or backslashes are written with octal escapes, as in /proc/mounts.
std::string escape_field(const std::string& field);

} // namespace lethe::initramfs
