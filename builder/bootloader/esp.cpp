#include "bootloader/esp.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>

namespace stdfs = std::filesystem;

namespace lethe::bootloader {
namespace {

constexpr uint64_t mib = 1024 * 1024;

// The ESP's paths are absolute ("/vmlinuz"); in the staging tree they are relative.
stdfs::path in_tree(const stdfs::path& tree, const std::string& esp_path) { return tree / esp_path.substr(1); }

void copy_into(const stdfs::path& source, const stdfs::path& destination) {
    stdfs::create_directories(destination.parent_path());
    lethe::copy_file(source, destination);
}

} // namespace

LoaderFiles host_loader_files(const catalog::Target& target) {
    return {target.systemd_boot_file, "/usr/lib/syslinux/mbr/gptmbr.bin"};
}

std::string syslinux_config(const plan::Plan& plan) {
    return fmt::format("# Written by lethe: boot {} at once, no menu.\n"
                       "DEFAULT {}\nPROMPT 0\nTIMEOUT 0\n\nLABEL {}\n  LINUX {}\n  INITRD {}\n  APPEND {}\n",
                       plan.name, plan.name, plan.name, esp_kernel, esp_initrd, plan::kernel_command_line(plan));
}

// `editor no`: nobody at the console edits the command line into init=/bin/sh.
std::string loader_config() { return "timeout 0\ndefault lethe.conf\neditor no\n"; }

std::string loader_entry(const plan::Plan& plan) {
    return fmt::format("title {}\nlinux {}\ninitrd {}\noptions {}\n", plan.name, esp_kernel, esp_initrd,
                       plan::kernel_command_line(plan));
}

std::vector<exec::Tool> required_tools(const plan::Plan& plan) {
    if (plan.wants(catalog::Firmware::bios)) return {{"syslinux", "syslinux"}};
    return {};
}

void check_loader_files(const plan::Plan& plan, const LoaderFiles& files) {
    std::string missing;
    if (plan.wants(catalog::Firmware::uefi) && !stdfs::is_regular_file(files.systemd_boot))
        missing += fmt::format("\n  {} (Debian package systemd-boot-efi)", files.systemd_boot.string());
    if (plan.wants(catalog::Firmware::bios) && !stdfs::is_regular_file(files.gptmbr))
        missing += fmt::format("\n  {} (Debian package syslinux-common)", files.gptmbr.string());
    if (!missing.empty()) fail("missing boot loader files for boot.firmware:{}", missing);
}

std::map<std::string, std::string> stage_esp(const plan::Plan& plan, const stdfs::path& kernel,
                                             const stdfs::path& initrd, const stdfs::path& tree,
                                             const LoaderFiles& files) {
    std::map<std::string, std::string> loaders;
    stdfs::create_directories(tree);
    copy_into(kernel, in_tree(tree, esp_kernel));
    copy_into(initrd, in_tree(tree, esp_initrd));
    if (plan.wants(catalog::Firmware::uefi)) {
        std::string boot_file(plan.target->efi_boot_file);
        copy_into(files.systemd_boot, in_tree(tree, boot_file));
        stdfs::create_directories(tree / "loader/entries");
        write_file_atomic(tree / "loader/loader.conf", loader_config());
        write_file_atomic(tree / "loader/entries/lethe.conf", loader_entry(plan));
        loaders[boot_file] = sha256_file(files.systemd_boot);
    }
    if (plan.wants(catalog::Firmware::bios)) {
        stdfs::path directory = in_tree(tree, syslinux_directory);
        stdfs::create_directories(directory);
        write_file_atomic(directory / "syslinux.cfg", syslinux_config(plan));
        loaders["MBR boot code"] = sha256_file(files.gptmbr);
    }
    return loaders;
}

uint64_t esp_size_for(uint64_t content_bytes) {
    uint64_t size = std::max<uint64_t>(plan::esp_min_size, content_bytes + content_bytes / 8 + 4 * mib);
    return (size + mib - 1) / mib * mib;
}

exec::Command install_syslinux(const stdfs::path& esp_image, int64_t epoch) {
    // The installer runs mtools, which stamp files with SOURCE_DATE_EPOCH.
    exec::Command command{{"syslinux", "--install", "--directory", syslinux_directory, esp_image.string()}};
    command.env = {{"MTOOLS_SKIP_CHECK", "1"}, {"SOURCE_DATE_EPOCH", std::to_string(epoch)}};
    return command;
}

void install_mbr_boot_code(const stdfs::path& disk, const stdfs::path& gptmbr) {
    constexpr size_t boot_code_bytes = 440; // then the disk signature and the partition entries
    std::string code = read_file(gptmbr);
    if (code.size() < boot_code_bytes)
        fail("{} is {} bytes, not an MBR boot code of {} bytes", gptmbr.string(), code.size(), boot_code_bytes);
    Fd fd(open(disk.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno("cannot open", disk.string());
    if (pwrite(fd.get(), code.data(), boot_code_bytes, 0) != static_cast<ssize_t>(boot_code_bytes))
        fail_errno("cannot write the MBR boot code to", disk.string());
    if (fsync(fd.get()) != 0) fail_errno("cannot write", disk.string());
}

} // namespace lethe::bootloader
