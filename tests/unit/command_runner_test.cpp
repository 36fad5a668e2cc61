// The one seam lethe runs tools through: captured output, stderr merged on
// request, failures that name the command, and foreground processes with a
// timeout (builder/exec).

#include "exec/command_runner.hpp"
#include "exec/process.hpp"
#include "exec/tool.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace lethe;

TEST_CASE("SystemRunner captures stdout, and stderr only when asked to merge it", "[exec]") {
    exec::SystemRunner runner;
    exec::Command both{{"sh", "-c", "echo out; echo err >&2"}};
    CHECK(runner.run(both) == "out\n");
    both.merge_stderr = true;
    CHECK(runner.run(both) == "out\nerr\n");
    CHECK_THROWS_WITH(runner.run({{"sh", "-c", "echo why >&2; exit 3"}}),
                      Catch::Contains("exited with status 3") && Catch::Contains("why"));
}

TEST_CASE("a foreground process is stopped at its timeout or when asked", "[exec]") {
    CHECK(exec::wait_for(exec::spawn({{"sh", "-c", "exit 7"}}), 0) == 7);
    CHECK_FALSE(exec::wait_for(exec::spawn({{"sleep", "30"}}), 1));
    int polls = 0;
    CHECK_FALSE(exec::wait_for(exec::spawn({{"sleep", "30"}}), 0, [&] { return ++polls == 2; }));
    CHECK(polls >= 2);
}

TEST_CASE("missing tools are listed together with their packages", "[exec]") {
    CHECK_NOTHROW(exec::require_tools({{"sh", "dash"}}));
    CHECK_THROWS_WITH(exec::require_tools({{"lethe-no-such-a", "pkg-a"}, {"sh", "dash"}, {"lethe-no-such-b", "pkg-b"}}),
                      "missing tools:\n  lethe-no-such-a (Debian package pkg-a)\n  lethe-no-such-b (Debian package pkg-b)");
}
