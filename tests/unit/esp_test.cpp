#include "bootloader/esp.hpp"
#include "spec/parse.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace lethe;

namespace {

plan::Plan plan_with(const std::string& firmware) {
    std::string text = "name: web\nrootfs: {directory: /}\noutputs: [raw]\n" + firmware +
                       "kernel: {cmdline: console=ttyS0 quiet}\nlayout:\n  disk:\n    size: 2G\n    partitions:\n"
                       "      - {name: usr, type: usr, size: auto, filesystem: erofs}\n"
                       "      - {name: persist, type: linux-generic, size: rest, filesystem: ext4}\n"
                       "  root: {tmpfs: {size: 1G}}\n"
                       "  persistence: {partition: persist, mount: /persist, directories: [/var/lib]}\n";
    return plan::make_plan(spec::parse_recipe(text, "web.yaml"));
}

} // namespace

TEST_CASE("both boot loaders boot the recipe's kernel command line at once", "[esp]") {
    plan::Plan plan = plan_with("");
    std::string syslinux = bootloader::syslinux_config(plan);
    CHECK_THAT(syslinux, Catch::Contains("DEFAULT web\n"));
    CHECK_THAT(syslinux, Catch::Contains("TIMEOUT 0\n"));
    CHECK_THAT(syslinux, Catch::Contains("  LINUX /vmlinuz\n  INITRD /initrd\n  APPEND console=ttyS0 quiet\n"));
    CHECK(bootloader::loader_entry(plan) == "title web\nlinux /vmlinuz\ninitrd /initrd\noptions console=ttyS0 quiet\n");
    CHECK_THAT(bootloader::loader_config(), Catch::Contains("editor no\n"));
    CHECK_THAT(bootloader::loader_config(), Catch::Contains("timeout 0\n"));
}

TEST_CASE("the ESP holds kernel, initrd and the loaders of the listed firmware only", "[esp]") {
    test::TempDir dir;
    test::write(dir.path / "host/vmlinuz", "kernel");
    test::write(dir.path / "host/initrd", "initrd");
    test::write(dir.path / "host/systemd-bootx64.efi", "MZ systemd-boot");
    test::write(dir.path / "host/gptmbr.bin", std::string(440, 'M'));
    bootloader::LoaderFiles files{dir.path / "host/systemd-bootx64.efi", dir.path / "host/gptmbr.bin"};

    auto loaders = bootloader::stage_esp(plan_with(""), dir.path / "host/vmlinuz", dir.path / "host/initrd",
                                   dir.path / "both", files);
    CHECK(read_file(dir.path / "both/vmlinuz") == "kernel");
    CHECK(read_file(dir.path / "both/initrd") == "initrd");
    CHECK(read_file(dir.path / "both/EFI/BOOT/BOOTX64.EFI") == "MZ systemd-boot");
    CHECK(std::filesystem::is_regular_file(dir.path / "both/loader/entries/lethe.conf"));
    CHECK(std::filesystem::is_regular_file(dir.path / "both/syslinux/syslinux.cfg"));
    CHECK(loaders.size() == 2);
    CHECK(loaders.count("/EFI/BOOT/BOOTX64.EFI") == 1);

    bootloader::stage_esp(plan_with("boot: {firmware: [bios]}\n"), dir.path / "host/vmlinuz", dir.path / "host/initrd",
                    dir.path / "bios", files);
    CHECK_FALSE(std::filesystem::exists(dir.path / "bios/EFI"));
    CHECK(std::filesystem::is_regular_file(dir.path / "bios/syslinux/syslinux.cfg"));

    bootloader::stage_esp(plan_with("boot: {firmware: [uefi]}\n"), dir.path / "host/vmlinuz", dir.path / "host/initrd",
                    dir.path / "uefi", files);
    CHECK_FALSE(std::filesystem::exists(dir.path / "uefi/syslinux"));
}

TEST_CASE("missing boot loader files are named with their Debian package", "[esp]") {
    bootloader::LoaderFiles files{"/nonexistent/systemd-bootx64.efi", "/nonexistent/gptmbr.bin"};
    try {
        bootloader::check_loader_files(plan_with(""), files);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Catch::Contains("/nonexistent/systemd-bootx64.efi (Debian package systemd-boot-efi)"));
        CHECK_THAT(e.what(), Catch::Contains("/nonexistent/gptmbr.bin (Debian package syslinux-common)"));
    }
    CHECK_NOTHROW(bootloader::check_loader_files(plan_with("boot: {firmware: []}\n"), files));
    CHECK(bootloader::required_tools(plan_with("boot: {firmware: [uefi]}\n")).empty());
    CHECK(bootloader::required_tools(plan_with("")).at(0).program == "syslinux");
}

TEST_CASE("the ESP is at least 32 MiB, whole MiB, with room for FAT's tables", "[esp]") {
    constexpr uint64_t mib = 1024 * 1024;
    CHECK(bootloader::esp_size_for(0) == 32 * mib);
    CHECK(bootloader::esp_size_for(10 * mib) == 32 * mib);
    uint64_t big = bootloader::esp_size_for(100 * mib + 1);
    CHECK(big % mib == 0);
    CHECK(big >= 100 * mib + 100 * mib / 8);
}

TEST_CASE("the MBR boot code replaces the first 440 bytes and nothing else", "[esp]") {
    test::TempDir dir;
    std::string disk(1024, '\0');
    disk[446] = '\x00'; // a partition entry's first byte
    disk[450] = '\xee'; // protective MBR type
    disk[510] = '\x55';
    disk[511] = '\xaa';
    test::write(dir.path / "disk", disk);
    test::write(dir.path / "gptmbr.bin", std::string(440, 'B'));
    bootloader::install_mbr_boot_code(dir.path / "disk", dir.path / "gptmbr.bin");
    std::string after = read_file(dir.path / "disk");
    REQUIRE(after.size() == 1024);
    CHECK(after.substr(0, 440) == std::string(440, 'B'));
    CHECK(after.substr(440) == disk.substr(440));

    test::write(dir.path / "short.bin", "too short");
    CHECK_THROWS_WITH(bootloader::install_mbr_boot_code(dir.path / "disk", dir.path / "short.bin"),
                      Catch::Contains("not an MBR boot code of 440 bytes"));
}
