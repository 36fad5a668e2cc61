// `lethe boot`: the QEMU command line for each option, and the parsers of the
// repeatable flags. Nothing here starts QEMU.

#include "exec/command_runner.hpp"
#include "vm/boot.hpp"
#include "vm/qemu_command.hpp"
#include "test_support.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <stdlib.h>

using namespace lethe::vm;
using lethe::exec::Command;

namespace {

BootOptions options_for(const std::string& image, bool direct_kernel = false) {
    BootOptions options;
    options.image = image;
    options.direct_kernel = direct_kernel;
    return resolve_paths(options);
}

Machine machine_for(const BootOptions& options, Accel accel = Accel::tcg) {
    return Machine{accel, options.image, image_format(options.image)};
}

// The word after the first occurrence of `flag`, or "" if absent.
std::string value_of(const Command& command, const std::string& flag) {
    auto it = std::find(command.argv.begin(), command.argv.end(), flag);
    return it == command.argv.end() || it + 1 == command.argv.end() ? "" : *(it + 1);
}

std::vector<std::string> values_of(const Command& command, const std::string& flag) {
    std::vector<std::string> out;
    for (size_t i = 0; i + 1 < command.argv.size(); ++i)
        if (command.argv[i] == flag) out.push_back(command.argv[i + 1]);
    return out;
}

bool has(const Command& command, const std::string& word) {
    return std::count(command.argv.begin(), command.argv.end(), word) > 0;
}

} // namespace

TEST_CASE("boot: the outputs beside the image are found by name", "[run]") {
    BootOptions options = options_for("out/web.qcow2");
    CHECK(options.kernel.empty()); // booted from the disk: no kernel needed
    options = options_for("out/web.qcow2", true);
    CHECK(options.kernel == "out/web.vmlinuz");
    CHECK(options.initrd == "out/web.initrd");
    CHECK(options.console_log == "out/web.console.log");
    CHECK(image_format("out/web.qcow2") == "qcow2");
    CHECK(image_format("out/web.raw") == "raw");
    BootOptions given;
    given.direct_kernel = true;
    given.image = "out/web.raw";
    given.kernel = "k";
    given.initrd = "i";
    given.console_log = "c.log";
    BootOptions kept = resolve_paths(given);
    CHECK((kept.kernel == "k" && kept.initrd == "i" && kept.console_log == "c.log"));
    CHECK(kept.manifest == "out/web.manifest.json");
    // A copy of the disk elsewhere, booted with the build's kernel: the build's manifest.
    given.image = "/tmp/instance.qcow2";
    given.kernel = "out/web.vmlinuz";
    CHECK(resolve_paths(given).manifest == "out/web.manifest.json");
}

TEST_CASE("boot: defaults boot the disk's own boot loader on virtio-blk under TCG", "[run]") {
    BootOptions options = options_for("out/web.qcow2");
    Command command = qemu_command(options, machine_for(options));
    CHECK(command.argv.front() == "qemu-system-x86_64");
    CHECK(value_of(command, "-machine") == "q35,accel=tcg");
    CHECK(value_of(command, "-cpu") == "max");
    CHECK(value_of(command, "-m") == "1024");
    CHECK(value_of(command, "-smp") == "2");
    CHECK_FALSE(has(command, "-kernel"));
    CHECK_FALSE(has(command, "-initrd"));
    CHECK_FALSE(has(command, "-append"));
    CHECK(value_of(command, "-drive") == "file=out/web.qcow2,format=qcow2,if=none,id=disk0");
    CHECK(value_of(command, "-device") == "virtio-blk-pci,drive=disk0");
    CHECK(value_of(command, "-nic") == "user,model=virtio-net-pci");
    CHECK_FALSE(has(command, "-snapshot"));
    CHECK_FALSE(has(command, "-smbios"));
    // Without --serial the console is a file the user (or a test) can read.
    CHECK(value_of(command, "-chardev") == "file,id=console0,path=out/web.console.log");
    CHECK(value_of(command, "-serial") == "chardev:console0");
    CHECK(value_of(command, "-monitor") == "none");
}

TEST_CASE("boot: KVM uses -cpu host", "[run]") {
    BootOptions options = options_for("web.raw");
    Command command = qemu_command(options, machine_for(options, Accel::kvm));
    CHECK(value_of(command, "-machine") == "q35,accel=kvm");
    CHECK(value_of(command, "-cpu") == "host");
    CHECK(value_of(command, "-drive") == "file=web.raw,format=raw,if=none,id=disk0");
}

TEST_CASE("boot: --disk scsi, --snapshot, --memory, --cpus, --serial", "[run]") {
    BootOptions options = options_for("web.qcow2");
    options.disk = DiskBus::scsi;
    options.snapshot = true;
    options.memory_mib = 2048;
    options.cpus = 4;
    options.serial = true;
    Command command = qemu_command(options, machine_for(options));
    CHECK(values_of(command, "-device") ==
          std::vector<std::string>{"virtio-scsi-pci,id=scsi0", "scsi-hd,drive=disk0,bus=scsi0.0"});
    CHECK(has(command, "-snapshot"));
    CHECK(value_of(command, "-m") == "2048");
    CHECK(value_of(command, "-smp") == "4");
    CHECK(value_of(command, "-serial") == "mon:stdio");
    CHECK_FALSE(has(command, "-chardev"));
    CHECK_FALSE(has(command, "-monitor"));
}

TEST_CASE("boot: --grow boots the overlay the machine names", "[run]") {
    BootOptions options = options_for("web.raw");
    Machine machine{Accel::tcg, "/tmp/x/overlay.qcow2", "qcow2"};
    Command command = qemu_command(options, machine);
    CHECK(value_of(command, "-drive") == "file=/tmp/x/overlay.qcow2,format=qcow2,if=none,id=disk0");
}

TEST_CASE("boot: --credential becomes SMBIOS type 11, commas escaped", "[run]") {
    BootOptions options = options_for("web.qcow2");
    options.credentials = {parse_credential("passwd.plaintext-password.root=a,b=c"), parse_credential("empty=")};
    Command command = qemu_command(options, machine_for(options));
    CHECK(values_of(command, "-smbios") ==
          std::vector<std::string>{"type=11,value=io.systemd.credential:passwd.plaintext-password.root=a,,b=c",
                                   "type=11,value=io.systemd.credential:empty="});
    CHECK_THROWS_WITH(parse_credential("novalue"), Catch::Contains("expected NAME=VALUE"));
    CHECK_THROWS_WITH(parse_credential("=x"), Catch::Contains("expected NAME=VALUE"));
    CHECK_THROWS_WITH(parse_credential("a/b=x"), Catch::Contains("valid file name"));
    try {
        parse_credential("novalue");
    } catch (const lethe::Error& e) {
        CHECK(e.code() == lethe::ExitCode::bad_input);
    }
}

TEST_CASE("boot: --forward binds host ports on loopback only", "[run]") {
    BootOptions options = options_for("web.qcow2");
    options.forwards = {parse_forward("2222:22"), parse_forward("8080:80")};
    Command command = qemu_command(options, machine_for(options));
    CHECK(value_of(command, "-nic") ==
          "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=tcp:127.0.0.1:8080-:80");
    for (const char* bad : {"22", "0:22", "2222:", "x:22", "70000:22", "22:22:22", ""})
        CHECK_THROWS_WITH(parse_forward(bad), Catch::Contains("expected HOST:GUEST"));
}

TEST_CASE("boot: --firmware uefi adds OVMF as pflash, bios adds nothing", "[run]") {
    BootOptions options = options_for("web.qcow2");
    Command bios = qemu_command(options, machine_for(options));
    CHECK(values_of(bios, "-drive").size() == 1);
    options.firmware = Firmware::uefi;
    Machine machine = machine_for(options);
    machine.ovmf_code = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    machine.ovmf_vars = "/tmp/s/OVMF_VARS.fd";
    Command uefi = qemu_command(options, machine);
    CHECK(values_of(uefi, "-drive") ==
          std::vector<std::string>{"if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                                   "if=pflash,format=raw,unit=1,file=/tmp/s/OVMF_VARS.fd",
                                   "file=web.qcow2,format=qcow2,if=none,id=disk0"});
    CHECK_FALSE(has(uefi, "-kernel")); // OVMF boots the ESP's systemd-boot
}

TEST_CASE("boot: --direct boots the kernel and initrd beside the image with a console command line", "[run]") {
    BootOptions options = options_for("out/web.qcow2", true);
    Command command = qemu_command(options, machine_for(options));
    CHECK(value_of(command, "-kernel") == "out/web.vmlinuz");
    CHECK(value_of(command, "-initrd") == "out/web.initrd");
    CHECK(value_of(command, "-append") == "console=ttyS0,115200");
}

TEST_CASE("boot: paths with commas are escaped for QEMU", "[run]") {
    BootOptions options = options_for("a,b/web.qcow2", true);
    Command command = qemu_command(options, machine_for(options));
    CHECK(value_of(command, "-drive") == "file=a,,b/web.qcow2,format=qcow2,if=none,id=disk0");
    CHECK(value_of(command, "-chardev") == "file,id=console0,path=a,,b/web.console.log");
    CHECK(value_of(command, "-kernel") == "a,b/web.vmlinuz"); // -kernel takes the path verbatim
}

TEST_CASE("boot: the accelerator honours --accel and LETHE_QEMU_ACCEL", "[run]") {
    unsetenv("LETHE_QEMU_ACCEL");
    CHECK(choose_accel("tcg", lethe::catalog::native_target()) == Accel::tcg);
    CHECK(choose_accel("kvm", lethe::catalog::native_target()) == Accel::kvm);
    CHECK(choose_accel("auto", lethe::catalog::native_target()) == (kvm_usable(lethe::catalog::native_target()) ? Accel::kvm : Accel::tcg));
    setenv("LETHE_QEMU_ACCEL", "kvm", 1);
    CHECK(choose_accel("auto", lethe::catalog::native_target()) == Accel::kvm);
    CHECK(choose_accel("tcg", lethe::catalog::native_target()) == Accel::tcg); // an explicit flag wins over the environment
    setenv("LETHE_QEMU_ACCEL", "xen", 1);
    CHECK_THROWS_WITH(choose_accel("auto", lethe::catalog::native_target()), Catch::Contains("unknown accelerator 'xen'"));
    unsetenv("LETHE_QEMU_ACCEL");
}

TEST_CASE("boot: a missing image or kernel is bad input, before QEMU runs", "[run]") {
    lethe::test::TempDir dir;
    lethe::exec::RecordingRunner runner;
    BootOptions options;
    options.image = (dir.path / "web.qcow2").string();
    options.direct_kernel = true;
    CHECK_THROWS_WITH(boot(options, "tcg", runner), Catch::Contains("does not exist"));
    lethe::test::write(dir.path / "web.qcow2", "disk");
    try {
        boot(options, "tcg", runner);
        FAIL("boot without a kernel should throw");
    } catch (const lethe::Error& e) {
        CHECK(e.code() == lethe::ExitCode::bad_input);
        CHECK(std::string(e.what()).find("web.vmlinuz") != std::string::npos);
    }
    CHECK(runner.commands.empty());
}

TEST_CASE("boot: --network none leaves the machine without a NIC; QEMU_ARGS come last, as given", "[run]") {
    BootOptions options = options_for("out/web.qcow2");
    options.network = false;
    options.qemu_args = {"-no-reboot", "-fw_cfg", "name=opt/x,file=a,b"};
    Command command = qemu_command(options, machine_for(options));
    CHECK(value_of(command, "-nic") == "none");
    REQUIRE(command.argv.size() > 3);
    CHECK(std::vector<std::string>(command.argv.end() - 3, command.argv.end()) == options.qemu_args);
}
