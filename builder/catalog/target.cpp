#include "catalog/target.hpp"

#include "catalog/partition_types.hpp"

#include <fmt/format.h>

namespace lethe::catalog {
namespace {

// GUIDs from the Discoverable Partitions Specification; the loader path from
// the UEFI specification (3.5.1.1, removable media); the firmware files from
// Debian's systemd-boot-efi and ovmf packages.
const Target x86_64 = {
    .name = "x86-64",
    .debian_architecture = "amd64",
    .types = {.root = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709",
              .root_verity = "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5",
              .root_verity_sig = "41092b05-9fc8-4523-994f-2def0408b176",
              .usr = "8484680c-9521-48c6-9c11-b0720656f69e",
              .usr_verity = "77ff5f63-e7b6-4633-acf4-1565b864c0e6",
              .usr_verity_sig = "e7bb33fb-06cf-4e81-8273-e543b413e2e2"},
    .efi_boot_file = "/EFI/BOOT/BOOTX64.EFI",
    .systemd_boot_file = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi",
    .serial_console = "ttyS0",
    .kernel_package = "linux-image-cloud-amd64",
    .firmware = {Firmware::bios, Firmware::uefi},
    .qemu = {"qemu-system-x86_64", "qemu-system-x86"},
    .qemu_machine = "q35",
    .uefi_firmware = {{"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"},
                      {"/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"}},
    .helper_subdirectory = "",
};

} // namespace

std::string to_string(Firmware firmware) { return firmware == Firmware::bios ? "bios" : "uefi"; }

std::optional<Firmware> parse_firmware(std::string_view name) {
    if (name == "bios") return Firmware::bios;
    if (name == "uefi") return Firmware::uefi;
    return std::nullopt;
}

const Target& native_target() { return x86_64; }

std::string serial_console_arguments(const Target& target) {
    return fmt::format("console={},115200", target.serial_console);
}

} // namespace lethe::catalog
