#pragma once
// The ESP: kernel, initrd and a boot loader for each firmware the recipe
// lists, so the image boots from the disk alone (docs/boot.md, "Firmware").
// UEFI runs systemd-boot from the removable-media path (the Target's
// efi_boot_file, e.g. EFI/BOOT/BOOT<ARCH>.EFI), which needs no NVRAM entry; a BIOS runs SYSLINUX's gptmbr.bin from the MBR,
// which starts the FAT boot sector of the partition marked legacy-BIOS-bootable.

#include "exec/command_runner.hpp"
#include "plan/plan.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace lethe::bootloader {

// The boot loaders on the build host, from Debian packages.
struct LoaderFiles {
    std::filesystem::path systemd_boot; // systemd-boot-efi
    std::filesystem::path gptmbr;       // syslinux-common
    // ldlinux.sys and ldlinux.c32 come from the `syslinux` installer itself.
};

// Where Debian puts them for the target.
LoaderFiles host_loader_files(const catalog::Target& target);

// Where the boot loaders find kernel and initrd on the ESP.
inline constexpr const char* esp_kernel = "/vmlinuz";
inline constexpr const char* esp_initrd = "/initrd";
inline constexpr const char* syslinux_directory = "/syslinux";

// Configuration files, pure. Both boot at once: no menu, no timeout.
std::string syslinux_config(const plan::Plan& plan);
std::string loader_config();
std::string loader_entry(const plan::Plan& plan);

// Tools and files a build needs for the plan's firmware.
std::vector<exec::Tool> required_tools(const plan::Plan& plan);
// fail() naming the missing file and its Debian package.
void check_loader_files(const plan::Plan& plan, const LoaderFiles& files);

// Writes the ESP's files into `tree` (created). Returns the sha256 of each
// boot loader file taken from the host, by ESP path, for the manifest.
std::map<std::string, std::string> stage_esp(const plan::Plan& plan, const std::filesystem::path& kernel,
                                             const std::filesystem::path& initrd,
                                             const std::filesystem::path& tree, const LoaderFiles& files);

// The ESP partition's size for `content_bytes` of files: FAT's own tables and
// slack, at least 32 MiB (so it is FAT16 or larger), whole MiB.
uint64_t esp_size_for(uint64_t content_bytes);

// `syslinux --install` writes the FAT boot sector, ldlinux.sys and ldlinux.c32
// into the ESP's image file through mtools: no loop device, no root.
exec::Command install_syslinux(const std::filesystem::path& esp_image, int64_t epoch);

// The MBR's boot code (its first 440 bytes) from gptmbr.bin; the protective
// MBR's partition entry and signature after it stay as libfdisk wrote them.
void install_mbr_boot_code(const std::filesystem::path& disk, const std::filesystem::path& gptmbr);

} // namespace lethe::bootloader
