// lethe-init's programs: e2fsck and the rescue shell, started and waited for.

#include "initrd/failure.hpp"
#include "initrd/programs.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;
using test::TempDir;
using test::write;
using test::read;
#include <csignal>

TEST_CASE("lethe-init runs programs and reports why one cannot start", "[init]") {
    CHECK(init::run_program({"/bin/sh", "-c", "exit 3"}) == 3);
    CHECK(init::run_program({"/bin/sh", "-c", "kill -TERM $$"}) == 128 + SIGTERM);
    CHECK_THROWS_WITH(init::run_program({"/nonexistent/e2fsck", "-p"}),
                      "cannot run '/nonexistent/e2fsck': No such file or directory");
}
