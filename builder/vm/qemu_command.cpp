#include "vm/qemu_command.hpp"

#include "initrd/failure.hpp"
#include "initrd/verity.hpp"

#include "util/error.hpp"

#include <charconv>
#include <filesystem>

namespace lethe::vm {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "out/web.qcow2" -> "out/web": the stem other outputs are named after.
std::string image_stem(const std::string& image) {
    for (const char* suffix : {".qcow2", ".raw", ".img"})
        if (ends_with(image, suffix)) return image.substr(0, image.size() - std::string(suffix).size());
    return image;
}

std::optional<uint16_t> parse_port(const std::string& text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
    return static_cast<uint16_t>(value);
}

void add(exec::Command& command, std::initializer_list<std::string> words) {
    command.argv.insert(command.argv.end(), words);
}

// User-mode networking always (a VM to try needs to reach apt); forwards bind
// to loopback only so a test VM's sshd is not exposed to the LAN.
std::string network(const BootOptions& options) {
    std::string nic = "user,model=virtio-net-pci";
    for (const PortForward& f : options.forwards)
        nic += fmt::format(",hostfwd=tcp:127.0.0.1:{}-:{}", f.host, f.guest);
    return nic;
}

void add_disk(exec::Command& command, const BootOptions& options, const Machine& machine) {
    add(command, {"-drive", fmt::format("file={},format={},if=none,id=disk0", qemu_escape(machine.disk_path),
                                        machine.disk_format)});
    if (options.disk == DiskBus::scsi)
        add(command, {"-device", "virtio-scsi-pci,id=scsi0", "-device", "scsi-hd,drive=disk0,bus=scsi0.0"});
    else
        add(command, {"-device", "virtio-blk-pci,drive=disk0"});
    if (options.snapshot) add(command, {"-snapshot"});
}

void add_firmware(exec::Command& command, const BootOptions& options, const Machine& machine) {
    if (options.firmware != Firmware::uefi) return; // SeaBIOS is QEMU's default
    add(command, {"-drive", fmt::format("if=pflash,format=raw,unit=0,readonly=on,file={}",
                                        qemu_escape(machine.ovmf_code)),
                  "-drive", fmt::format("if=pflash,format=raw,unit=1,file={}", qemu_escape(machine.ovmf_vars))});
}

} // namespace

std::string image_format(const std::string& image) {
    return ends_with(image, ".qcow2") ? "qcow2" : "raw";
}

BootOptions resolve_paths(BootOptions options) {
    std::string stem = image_stem(options.image);
    // A given kernel names the build it came from (out/web.vmlinuz: the
    // manifest is out/web.manifest.json), also when the disk is a copy elsewhere.
    std::string build_stem = ends_with(options.kernel, ".vmlinuz")
                                 ? options.kernel.substr(0, options.kernel.size() - std::string(".vmlinuz").size())
                                 : stem;
    if (options.direct_kernel && options.kernel.empty()) options.kernel = stem + ".vmlinuz";
    if (options.direct_kernel && options.initrd.empty()) options.initrd = stem + ".initrd";
    if (options.direct_kernel && options.manifest.empty()) options.manifest = build_stem + ".manifest.json";
    if (options.console_log.empty()) options.console_log = stem + ".console.log";
    return options;
}

std::string with_usrhash(const std::string& append, const std::string& root_hash) {
    try {
        if (init::usrhash_from_cmdline(append)) return append;
    } catch (const init::Failure&) {
        return append; // a malformed usrhash= is there to see what lethe-init says of it
    }
    return append + (append.empty() ? "" : " ") + "usrhash=" + root_hash;
}

std::pair<std::string, std::string> parse_credential(const std::string& text) {
    size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        fail_input("--credential '{}': expected NAME=VALUE", text);
    std::string name = text.substr(0, eq);
    // systemd stores each credential as a file named NAME.
    if (name.find('/') != std::string::npos || name == "." || name == "..")
        fail_input("--credential '{}': NAME must be a valid file name", text);
    return {name, text.substr(eq + 1)};
}

PortForward parse_forward(const std::string& text) {
    size_t colon = text.find(':');
    std::optional<uint16_t> host, guest;
    if (colon != std::string::npos) {
        host = parse_port(text.substr(0, colon));
        guest = parse_port(text.substr(colon + 1));
    }
    if (!host || !guest) fail_input("--forward '{}': expected HOST:GUEST, two TCP ports (1-65535)", text);
    return {*host, *guest};
}

std::string qemu_escape(const std::string& value) {
    std::string out;
    for (char c : value) out += c == ',' ? std::string(",,") : std::string(1, c);
    return out;
}

exec::Command qemu_command(const BootOptions& options, const Machine& machine) {
    bool kvm = machine.accel == Accel::kvm;
    exec::Command command{{machine.target->qemu.program}};
    // -cpu max under KVM dies at its first MSR write on nested hosts; host is what KVM can give.
    add(command, {"-machine", fmt::format("{},accel={}", machine.target->qemu_machine, kvm ? "kvm" : "tcg"), "-cpu",
                  kvm ? "host" : "max"});
    add(command, {"-smp", std::to_string(options.cpus), "-m", std::to_string(options.memory_mib)});
    add(command, {"-display", "none", "-nic", options.network ? network(options) : "none"});
    add_firmware(command, options, machine);
    if (options.direct_kernel)
        add(command, {"-kernel", options.kernel, "-initrd", options.initrd, "-append", options.append});
    add_disk(command, options, machine);
    for (const auto& [name, value] : options.credentials)
        add(command, {"-smbios", "type=11,value=io.systemd.credential:" + qemu_escape(name + "=" + value)});
    if (options.serial)
        add(command, {"-serial", "mon:stdio"}); // Ctrl-A X quits, Ctrl-A C is the monitor
    else
        // -chardev, not "-serial file:PATH": only the QemuOpts syntax reads ",," in a path.
        add(command, {"-chardev", "file,id=console0,path=" + qemu_escape(options.console_log), "-serial",
                      "chardev:console0", "-monitor", "none"});
    command.argv.insert(command.argv.end(), options.qemu_args.begin(), options.qemu_args.end());
    return command;
}

} // namespace lethe::vm
