#pragma once
// Loading disk drivers only for devices the machine has, as udev does: a
// module is needed when one of its modules.alias patterns matches a device's
// modalias (/sys/bus/*/devices/*/modalias). The builder wrote each driver's
// patterns, and its dependencies', into init.conf (`module_if`). Loading a
// bus driver adds devices (virtio_pci makes the virtio devices virtio_blk is
// for), so the devices are scanned again after a pass that loaded something.

#include "initrd/init_config.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::init {

// libkmod's alias_normalize: '-' is '_' except inside [...]
// ("scsi:t-0x00" -> "scsi:t_0x00"); the builder normalized the patterns alike.
std::string normalize_modalias(std::string_view modalias);

// The normalized modaliases of the devices under SYS/bus/*/devices/, sorted.
std::vector<std::string> device_modaliases(const std::string& sys = "/sys");

// Whether a pattern (fnmatch) matches one of MODALIASES.
bool matches_any(const std::vector<std::string>& patterns, const std::vector<std::string>& modaliases);

using ScanDevices = std::function<std::vector<std::string>()>;
using LoadModule = std::function<void(const DeviceModule&)>;

// Scans the devices, loads every module of PENDING that one of them needs
// (in PENDING's order, the load order: a dependency shares its dependents'
// patterns and comes first) and takes it out of PENDING; then scans again for
// the devices those modules added, until a scan matches nothing. Returns how
// many were loaded. Call it again later for devices that appear late (SCSI
// disks behind virtio_scsi are found asynchronously).
size_t load_device_modules(std::vector<DeviceModule>& pending, const ScanDevices& scan, const LoadModule& load);

} // namespace lethe::init
