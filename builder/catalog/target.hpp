#pragma once
// Everything that depends on the architecture an image is built for, in one
// value (as mkosi's Architecture): partition types, the EFI boot file, the
// serial console, how QEMU runs it, Debian's name for it. No other file
// spells an architecture. Only x86-64 is built for now; an arm64 Target is a
// new entry in target.cpp plus its helper programs.

#include "exec/tool.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::catalog {

// How machines start an image: legacy BIOS (SeaBIOS; Hetzner's x86 servers)
// or UEFI (OVMF).
enum class Firmware { bios, uefi };
std::string to_string(Firmware firmware);
std::optional<Firmware> parse_firmware(std::string_view name);

// The partition types of the Discoverable Partitions Specification that
// differ by architecture, by their short names.
struct ArchitecturePartitionTypes {
    std::string_view root, root_verity, root_verity_sig;
    std::string_view usr, usr_verity, usr_verity_sig;
};

struct Target {
    std::string_view name;                // "x86-64", as recipes and plans say it
    std::string_view debian_architecture; // "amd64": mmdebstrap --architectures, kernel package names
    ArchitecturePartitionTypes types;     // DPS type GUIDs
    std::string_view efi_boot_file;       // where UEFI finds a removable disk's loader
    std::string_view systemd_boot_file;   // the host's systemd-boot for this architecture
    std::string_view serial_console;      // the kernel's name for the first serial port
    std::string_view kernel_package;      // a Debian kernel package that boots it, for hints
    std::vector<Firmware> firmware;       // what its machines can start from
    exec::Tool qemu;                      // qemu-system-* and its Debian package
    std::string_view qemu_machine;        // -machine
    // Debian's OVMF-style firmware images (code, variables) tried in order.
    std::vector<std::pair<std::string_view, std::string_view>> uefi_firmware;
    // Where lethe's helper programs built for it are, below the helpers'
    // directory (libexec/lethe): "" for the architecture lethe runs on.
    std::string_view helper_subdirectory;
};

// The architecture lethe runs on, which is the one it builds for: its helper
// programs (lethe-init, lethe-decrypt, lethe-metadata) are built with it.
const Target& native_target();

// The default kernel command line's console for the target's serial port.
std::string serial_console_arguments(const Target& target);

} // namespace lethe::catalog
