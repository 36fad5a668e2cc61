#include "vm/boot.hpp"

#include "exec/process.hpp"
#include "exec/tool.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/size.hpp"
#include "verity/root_hash_sources.hpp"
#include "vm/kvm_failure.hpp"

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>


namespace fs = std::filesystem;

namespace lethe::vm {
namespace {

void require_file(const std::string& path, const std::string& what) {
    if (!fs::is_regular_file(path))
        fail_input("{} '{}' does not exist (--direct boots the one built beside the image; or pass {})", what, path,
                   what == "kernel" ? "--kernel" : "--initrd");
}

// Ignores Ctrl-C in lethe while QEMU runs: QEMU (same process group) gets it
// and exits, and lethe lives on to remove the overlay.
struct IgnoreInterrupts {
    struct sigaction old_int {}, old_quit {};
    IgnoreInterrupts() {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigaction(SIGINT, &ignore, &old_int);
        sigaction(SIGQUIT, &ignore, &old_quit);
    }
    ~IgnoreInterrupts() {
        sigaction(SIGINT, &old_int, nullptr);
        sigaction(SIGQUIT, &old_quit, nullptr);
    }
};

// QEMU on the terminal (or, for the probe, quiet and reading `stdin_fd`),
// its stderr into `stderr_fd` when given.
pid_t spawn_qemu(const exec::Command& command, int stdin_fd = -1, int stderr_fd = -1) {
    if (stdin_fd < 0) return exec::spawn(command, {-1, -1, stderr_fd});
    Fd null(open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (null.get() < 0) fail_errno("cannot open", "/dev/null");
    return exec::spawn(command, {stdin_fd, null.get(), null.get()});
}

// A qcow2 overlay backed by the image, so the image itself is never written.
std::string make_overlay(const BootOptions& options, const fs::path& dir, exec::CommandRunner& runner) {
    if (!exec::tool_exists("qemu-img")) fail("--grow needs qemu-img (Debian package qemu-utils)");
    std::string overlay = (dir / "overlay.qcow2").string();
    runner.run({{"qemu-img", "create", "-q", "-f", "qcow2", "-F", image_format(options.image), "-b",
                 fs::absolute(options.image).string(), overlay}});
    runner.run({{"qemu-img", "resize", "-q", overlay, std::to_string(*options.grow)}});
    return overlay;
}

void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        ssize_t n = write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; // a closed terminal must not stop the guest
        text.remove_prefix(static_cast<size_t>(n));
    }
}

// Runs the guest with QEMU's stderr passed on through `watch`, and stops
// QEMU as soon as the watch sees KVM's internal error (QEMU only pauses the
// machine then, and would sit there until the timeout).
std::optional<int> run_guest(const exec::Command& command, unsigned timeout_seconds, KvmFailureWatch& watch) {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC | O_NONBLOCK) < 0) fail_errno("cannot create", "pipe");
    Fd from_qemu(ends[0]), to_lethe(ends[1]);
    pid_t pid = spawn_qemu(command, -1, to_lethe.get());
    to_lethe = Fd();
    bool open = true;
    auto pass_on = [&](int wait_ms) {
        pollfd ready{from_qemu.get(), POLLIN, 0};
        if (!open) std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
        else if (poll(&ready, 1, wait_ms) > 0) {
            char buffer[4096];
            ssize_t n;
            while ((n = read(from_qemu.get(), buffer, sizeof buffer)) > 0)
                write_all(STDERR_FILENO, watch.feed({buffer, static_cast<size_t>(n)}));
            open = n != 0;
        }
        return watch.failed();
    };
    std::optional<int> status = exec::wait_for(pid, timeout_seconds, [&] { return pass_on(100); });
    pass_on(0);
    write_all(STDERR_FILENO, watch.finish());
    return status;
}

// "auto" is the only choice that may change its mind: an explicit kvm fails.
std::optional<int> run_with_fallback(const BootOptions& options, Machine& machine, bool automatic) {
    KvmFailureWatch watch;
    std::optional<int> finished = run_guest(qemu_command(options, machine), options.timeout_seconds, watch);
    if (!watch.failed()) return finished;
    if (!automatic)
        fail("KVM failed inside the guest (QEMU: \"KVM internal error\"), as under some nested hypervisors; "
             "--accel tcg boots without it");
    spdlog::warn("KVM failed inside the guest although the probe passed (QEMU: \"KVM internal error\"); "
                 "booting again under TCG");
    machine.accel = Accel::tcg;
    KvmFailureWatch again;
    return run_guest(qemu_command(options, machine), options.timeout_seconds, again);
}

// The accelerator asked for, the environment's LETHE_QEMU_ACCEL standing in for "auto".
std::string accel_choice(const std::string& requested) {
    const char* env = std::getenv("LETHE_QEMU_ACCEL");
    return requested == "auto" && env && *env ? std::string(env) : requested;
}

} // namespace

bool kvm_usable(const catalog::Target& target) {
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    close(fd);
    if (version != KVM_API_VERSION) return false; // 12 since Linux 2.6.22
    // A /dev/kvm that answers is not proof: under some nested hypervisors QEMU
    // aborts on its first MSR write ("failed to set MSR 0x10a"). So create the
    // machine, stopped (-S), and quit it over QMP; that write happens at reset.
    if (!exec::tool_exists(target.qemu.program)) return false;
    int input[2];
    if (pipe2(input, O_CLOEXEC) < 0) return false;
    const std::string qmp = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n";
    bool written = write(input[1], qmp.data(), qmp.size()) == static_cast<ssize_t>(qmp.size());
    close(input[1]);
    std::optional<int> status;
    if (written) {
        exec::Command probe{{target.qemu.program, "-machine", fmt::format("{},accel=kvm", target.qemu_machine), "-cpu",
                             "host", "-nodefaults", "-display", "none", "-S", "-qmp", "stdio"}};
        status = exec::wait_for(spawn_qemu(probe, input[0]), 10);
    }
    close(input[0]);
    return status == 0;
}

Accel choose_accel(const std::string& requested, const catalog::Target& target) {
    std::string choice = accel_choice(requested);
    if (choice == "kvm") return Accel::kvm;
    if (choice == "tcg") return Accel::tcg;
    if (choice != "auto") fail_input("unknown accelerator '{}' (expected auto, kvm or tcg)", choice);
    return kvm_usable(target) ? Accel::kvm : Accel::tcg;
}

std::pair<std::string, std::string> find_ovmf(const catalog::Target& target) {
    std::string tried;
    for (const auto& [code, vars] : target.uefi_firmware) {
        if (fs::is_regular_file(code) && fs::is_regular_file(vars)) return {std::string(code), std::string(vars)};
        tried += fmt::format("{}{}", tried.empty() ? "" : " or ", code);
    }
    fail_input("--firmware uefi needs OVMF: {} is missing (install the Debian package ovmf)", tried);
}

int boot(const BootOptions& requested, const std::string& accel, exec::CommandRunner& runner) {
    BootOptions options = resolve_paths(requested);
    if (!fs::is_regular_file(options.image)) fail_input("image '{}' does not exist", options.image);
    if (options.direct_kernel) {
        require_file(options.kernel, "kernel");
        require_file(options.initrd, "initrd");
        // A verity image's lethe-init finds /usr by the root hash the boot loaders would pass.
        if (fs::is_regular_file(options.manifest))
            if (auto source = verity::find_manifest_root_hash(options.manifest))
                options.append = with_usrhash(options.append, source->root_hash);
    }
    const catalog::Target& target = catalog::native_target();
    exec::require_tools({target.qemu});
    Machine machine{choose_accel(accel, target), options.image, image_format(options.image), "", "", &target};
    std::unique_ptr<ScratchDir> scratch;
    if (options.grow || options.firmware == Firmware::uefi) scratch = std::make_unique<ScratchDir>("lethe-boot"); // the overlay, the OVMF variables
    if (options.firmware == Firmware::uefi) {
        auto [code, vars] = find_ovmf(target);
        machine.ovmf_code = code;
        machine.ovmf_vars = (scratch->path() / "OVMF_VARS.fd").string();
        fs::copy_file(vars, machine.ovmf_vars);
    }
    if (options.grow) {
        machine.disk_path = make_overlay(options, scratch->path(), runner);
        machine.disk_format = "qcow2";
    }
    spdlog::info("booting {} under {}{}", options.image, machine.accel == Accel::kvm ? "KVM" : "TCG",
                 options.serial ? " (Ctrl-A X quits)" : fmt::format("; console in {}", options.console_log));
    spdlog::debug("running {}", exec::to_string(qemu_command(options, machine)));
    IgnoreInterrupts ignore;
    std::optional<int> finished = run_with_fallback(options, machine, accel_choice(accel) == "auto");
    if (!finished) fail("the guest did not power off within {} s; QEMU was stopped", options.timeout_seconds);
    int status = *finished;
    if (status != 0) // QEMU's own status is lethe's, so scripts can tell failures apart
        throw Error(static_cast<ExitCode>(status), fmt::format("{} exited with status {}", target.qemu.program, status));
    return status;
}

namespace {

// The flags as typed; turned into BootOptions once CLI11 has parsed them.
struct BootFlags {
    BootOptions options;
    std::string firmware = "bios", disk = "virtio", grow, accel = "auto", append, network = "user";
    std::vector<std::string> credentials, forwards;
};

BootOptions to_options(const BootFlags& flags) {
    BootOptions options = flags.options;
    options.firmware = flags.firmware == "uefi" ? Firmware::uefi : Firmware::bios;
    options.disk = flags.disk == "scsi" ? DiskBus::scsi : DiskBus::virtio;
    options.network = flags.network == "user";
    if (!options.network && !flags.forwards.empty()) fail_input("--forward needs --network user");
    // Naming a kernel, an initrd or a command line asks for direct kernel boot.
    if (!options.kernel.empty() || !options.initrd.empty() || !flags.append.empty()) options.direct_kernel = true;
    if (!flags.append.empty()) options.append = flags.append;
    if (!flags.grow.empty()) {
        options.grow = parse_size(flags.grow);
        if (!options.grow || *options.grow == 0) fail_input("--grow '{}': expected a size such as 4G", flags.grow);
    }
    for (const std::string& text : flags.credentials) options.credentials.push_back(parse_credential(text));
    for (const std::string& text : flags.forwards) options.forwards.push_back(parse_forward(text));
    return options;
}

} // namespace

void add_boot_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("boot", "Boot an image in QEMU from its disk, as a server would, to try or test it");
    auto flags = std::make_shared<BootFlags>();
    BootOptions& o = flags->options;
    cmd->add_option("IMAGE", o.image, "NAME.raw or NAME.qcow2")->required();
    cmd->add_flag("--direct", o.direct_kernel,
                  "Direct kernel boot of NAME.vmlinuz and NAME.initrd (for images without an ESP)");
    cmd->add_option("--kernel", o.kernel, "Direct kernel boot of this kernel (default: NAME.vmlinuz)");
    cmd->add_option("--initrd", o.initrd, "Direct kernel boot with this initrd (default: NAME.initrd)");
    cmd->add_option("--append", flags->append, "Direct kernel boot with this command line (default: " + o.append + ")");
    cmd->add_option("--firmware", flags->firmware, "bios (SeaBIOS) or uefi (OVMF)")
        ->check(CLI::IsMember({"bios", "uefi"}))->capture_default_str();
    cmd->add_option("--disk", flags->disk, "virtio (virtio-blk) or scsi (virtio-scsi)")
        ->check(CLI::IsMember({"virtio", "scsi"}))->capture_default_str();
    cmd->add_option("--grow", flags->grow, "Boot a throw-away overlay of this size (e.g. 4G); the image is untouched");
    cmd->add_flag("--snapshot", o.snapshot, "Discard the guest's writes to the image");
    cmd->add_option("--credential", flags->credentials, "NAME=VALUE: a systemd credential (SMBIOS type 11); repeatable")
        ->allow_extra_args(false);
    cmd->add_option("--forward", flags->forwards, "HOST:GUEST: forward a TCP port from 127.0.0.1; repeatable")
        ->allow_extra_args(false);
    cmd->add_option("--network", flags->network, "user (a NIC on QEMU's user-mode network) or none")
        ->check(CLI::IsMember({"user", "none"}))->capture_default_str();
    cmd->add_option("QEMU_ARGS", o.qemu_args, "After --: more arguments for QEMU, appended as given");
    cmd->add_flag("--serial", o.serial, "Serial console on this terminal (Ctrl-A X quits)");
    cmd->add_option("--console-log", o.console_log, "Without --serial, where the console goes (default: NAME.console.log)");
    cmd->add_option("--timeout", o.timeout_seconds, "Stop QEMU after this many seconds and fail (0: never)");
    cmd->add_option("--memory", o.memory_mib, "Memory in MiB")->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--cpus", o.cpus, "Virtual CPUs")->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--accel", flags->accel, "auto (KVM if usable, else TCG; env LETHE_QEMU_ACCEL), kvm or tcg")
        ->check(CLI::IsMember({"auto", "kvm", "tcg"}))->capture_default_str();
    cmd->callback([flags] {
        exec::SystemRunner runner;
        boot(to_options(*flags), flags->accel, runner);
    });
}

} // namespace lethe::vm
