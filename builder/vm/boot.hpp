#pragma once
// `lethe boot IMAGE`: the side effects around qemu_command(): checks the
// inputs, probes KVM, finds OVMF, makes the --grow overlay, and runs QEMU on
// the terminal with a timeout.

#include "exec/command_runner.hpp"
#include "vm/qemu_command.hpp"

#include <string>

namespace CLI {
class App;
}

namespace lethe::vm {

// "auto" (TCG unless KVM is usable; LETHE_QEMU_ACCEL overrides), "kvm" or "tcg".
Accel choose_accel(const std::string& requested, const catalog::Target& target);

// Can this process run a KVM guest? /dev/kvm opens read-write, answers
// KVM_GET_API_VERSION with 12, and QEMU can reset a stopped KVM machine.
bool kvm_usable(const catalog::Target& target);

// The firmware image pair of Debian's `ovmf` package; fail_input if missing.
std::pair<std::string, std::string> find_ovmf(const catalog::Target& target);

// Boots the image and returns QEMU's exit status. Runs qemu-img (for --grow)
// through `runner`, QEMU itself in the foreground with inherited stdio.
int boot(const BootOptions& options, const std::string& accel, exec::CommandRunner& runner);

// Adds the `boot` subcommand to the command line.
void add_boot_command(CLI::App& app);

} // namespace lethe::vm
