#include "vm/kvm_failure.hpp"

#include <catch2/catch.hpp>

using lethe::vm::KvmFailureWatch;

TEST_CASE("QEMU's stderr is passed on line by line until KVM's internal error", "[boot]") {
    KvmFailureWatch watch;
    CHECK(watch.feed("qemu-system-x86_64: warning: host doesn't sup") == "");
    CHECK(watch.feed("port requested feature\nnext") ==
          "qemu-system-x86_64: warning: host doesn't support requested feature\n");
    CHECK_FALSE(watch.failed());
    // What QEMU 7.2 prints when KVM cannot emulate an instruction in SeaBIOS.
    CHECK(
        watch.feed(" line\nKVM internal error. Suberror: 1\nextra data[0]: 0x0000000000000000\n") ==
        "next line\n");
    CHECK(watch.failed());
    CHECK(watch.feed("emulation failure\nEAX=00000000 EBX=00000000\n") ==
          ""); // the register dump is held back
    CHECK(watch.finish() == "");
}

TEST_CASE("a KVM error split across reads, or on an unfinished last line, is seen", "[boot]") {
    KvmFailureWatch split;
    CHECK(split.feed("KVM inter") == "");
    CHECK(split.feed("nal error. Suberror: 1\n") == "");
    CHECK(split.failed());
    KvmFailureWatch last;
    last.feed("KVM internal error. Suberror: 3");
    CHECK(last.finish() == "");
    CHECK(last.failed());
}

TEST_CASE("a guest that exits normally keeps all of QEMU's stderr", "[boot]") {
    KvmFailureWatch watch;
    CHECK(watch.feed("qemu: terminating on signal 15\n") == "qemu: terminating on signal 15\n");
    CHECK(watch.feed("no newline") == "");
    CHECK(watch.finish() == "no newline");
    CHECK_FALSE(watch.failed());
}
