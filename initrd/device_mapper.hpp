#pragma once
// Device-mapper devices made with the kernel's own ioctls on
// /dev/mapper/control (linux/dm-ioctl.h), as libdevmapper does underneath:
// lethe-init is static and the initrd small, so neither libdevmapper nor
// dmsetup nor veritysetup is in it. Needs the dm_mod module loaded (and the
// target's module, dm_verity for verity).

#include "initrd/dm_table.hpp"

#include <string>
#include <sys/types.h>

namespace lethe::init {

struct MappedDevice {
    std::string name; // "usr"
    std::string path; // "/dev/mapper/usr", a block node made here
    dev_t device = 0;
};

// Creates device NAME (and dm UUID UUID, which may be empty), loads TARGET
// as its read-only table and resumes it, so it can be read at once; makes
// the node /dev/mapper/NAME. On failure nothing is left behind (the device
// is removed) and Failure names the step, the table and the errno text; the
// kernel log has the target's own reason ("verity: Invalid root digest").
MappedDevice create_read_only_device(const std::string& name, const std::string& uuid,
                                     const DmTarget& target);

// Replaces the table of the active device NAME with TARGET (read-only):
// loads it as the inactive table, then resumes, which swaps it in.
void replace_table(const std::string& name, const DmTarget& target);

// Removes device NAME and its /dev/mapper node. Failure if it is open.
void remove_device(const std::string& name);

} // namespace lethe::init
