#pragma once
// `lethe boot`: the QEMU command line as a pure function of the options, so
// every flag is unit tested without starting a VM. The side effects (KVM
// probe, overlay, running QEMU) live in vm/boot.hpp.

#include "catalog/target.hpp"
#include "exec/command_runner.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lethe::vm {

using catalog::Firmware;
enum class DiskBus { virtio, scsi };
enum class Accel { tcg, kvm };

struct PortForward {
    uint16_t host = 0;
    uint16_t guest = 0;
};

// What the user asked for; paths as given (resolved by resolve_paths).
struct BootOptions {
    std::string image;               // NAME.raw or NAME.qcow2
    // The firmware boots the image's own boot loader from its ESP, as a cloud
    // server does. Direct kernel boot (QEMU -kernel) is for images built with
    // `boot: {firmware: []}`, or to try another kernel or command line.
    bool direct_kernel = false;
    std::string kernel;              // direct: empty is NAME.vmlinuz beside the image
    std::string initrd;              // direct: empty is NAME.initrd beside the image
    std::string append = catalog::serial_console_arguments(catalog::native_target());
    // direct: empty is NAME.manifest.json beside the kernel (NAME.vmlinuz),
    // or else beside the image, whose verity.root_hash is added to the
    // command line as usrhash=.
    std::string manifest;
    Firmware firmware = Firmware::bios;
    DiskBus disk = DiskBus::virtio;
    std::optional<uint64_t> grow;    // bytes; boot a throw-away overlay of this size
    bool snapshot = false;
    std::vector<std::pair<std::string, std::string>> credentials; // NAME, VALUE
    std::vector<PortForward> forwards;
    bool network = true;             // a user-mode NIC; false: no NIC at all
    std::vector<std::string> qemu_args; // appended to QEMU's command line as given (after `--`)
    bool serial = false;             // console on the terminal
    std::string console_log;         // without --serial; empty: NAME.console.log beside the image
    unsigned timeout_seconds = 0;    // 0: none
    unsigned memory_mib = 1024;
    unsigned cpus = 2;
};

// What boot.cpp decided by looking at the system.
struct Machine {
    Accel accel = Accel::tcg;
    std::string disk_path{};         // the image, or the --grow overlay
    std::string disk_format{};       // "raw" or "qcow2"
    std::string ovmf_code{};         // --firmware uefi: read-only firmware
    std::string ovmf_vars{};         // --firmware uefi: a writable copy of the variable store
    const catalog::Target* target = &catalog::native_target();
};

// "out/web.qcow2" -> "qcow2"; anything but .qcow2 is raw.
std::string image_format(const std::string& image);

// Fills console_log, and for direct kernel boot kernel, initrd and manifest, from the image name when empty.
BootOptions resolve_paths(BootOptions options);

// APPEND with usrhash=ROOT_HASH added, unless it has a usrhash= already (a
// command line that names another root hash is the user's to try).
std::string with_usrhash(const std::string& append, const std::string& root_hash);

// Parsers for the repeatable flags; fail_input (exit 2) on bad text.
std::pair<std::string, std::string> parse_credential(const std::string& text); // NAME=VALUE
PortForward parse_forward(const std::string& text);                          // HOST:GUEST

// QEMU's option syntax ends a value at ',' and reads ",," as a literal comma.
std::string qemu_escape(const std::string& value);

// The target's qemu-system command for resolved options on a machine.
exec::Command qemu_command(const BootOptions& options, const Machine& machine);

} // namespace lethe::vm
