// lethe-init's reading of e2fsck's exit status (initrd/fsck_status): the
// words on the console, and which statuses mount, repair or fail the boot.

#include "initrd/fsck_status.hpp"

#include <catch2/catch.hpp>

using namespace lethe::init;

TEST_CASE("e2fsck's exit status is said in e2fsck(8)'s words", "[init]") {
    CHECK(describe_fsck_status(0) == "0 (no errors)");
    CHECK(describe_fsck_status(1) == "1 (errors corrected)");
    CHECK(describe_fsck_status(3) == "3 (errors corrected, reboot advised)");
    CHECK(describe_fsck_status(4) == "4 (errors left uncorrected)");
    CHECK(describe_fsck_status(8) == "8 (operational error)");
    CHECK(describe_fsck_status(12) == "12 (errors left uncorrected, operational error)");
    CHECK(describe_fsck_status(16) == "16 (usage or syntax error)");
    CHECK(describe_fsck_status(32) == "32 (canceled by user request)");
    CHECK(describe_fsck_status(128) == "128 (shared library error)");
    // run_program's 128 + signal
    CHECK(describe_fsck_status(137) == "137 (killed by signal 9)");
}

TEST_CASE("statuses 0 to 3 mount, 4 and 8 are repaired with -f -y, the rest fail", "[init]") {
    for (int status : {0, 1, 2, 3}) {
        CHECK(fsck_passed(status));
        CHECK_FALSE(fsck_may_repair(status));
    }
    for (int status : {4, 8, 12}) {
        CHECK_FALSE(fsck_passed(status));
        CHECK(fsck_may_repair(status));
    }
    for (int status : {-1, 5, 9, 16, 20, 32, 128, 137}) {
        CHECK_FALSE(fsck_passed(status));
        CHECK_FALSE(fsck_may_repair(status));
    }
}
