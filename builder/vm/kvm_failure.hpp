#pragma once
// Under some nested hypervisors /dev/kvm answers and the KVM probe (a
// stopped machine, reset and quit) passes, yet the guest dies on its first
// instruction KVM cannot emulate, in SeaBIOS or SYSLINUX: QEMU prints "KVM
// internal error. Suberror: 1" ("emulation failure") and a register dump,
// then pauses the machine (or exits). `lethe boot` watches QEMU's stderr
// for that line and boots again under TCG.

#include <string>
#include <string_view>

namespace lethe::vm {

// QEMU's stderr, a chunk at a time: what to pass on to the user, and whether
// KVM's internal error was seen. The error line and everything after it (the
// register dump) are held back: lethe says what happened once, in its words.
class KvmFailureWatch {
  public:
    // The complete lines of `bytes` (with what came before) to show now.
    std::string feed(std::string_view bytes);
    // What is left when QEMU has exited: an unfinished last line.
    std::string finish();
    bool failed() const { return failed_; }

  private:
    std::string partial_;
    bool failed_ = false;
};

} // namespace lethe::vm
