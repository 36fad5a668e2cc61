#include "outputs/publish.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <catch2/catch.hpp>

using namespace lethe;
namespace fs = std::filesystem;

TEST_CASE("publishing replaces the earlier outputs and SHA256SUMS together", "[outputs]") {
    test::TempDir tmp;
    fs::path out = tmp.path / "out";
    test::write(out / "web.raw", "old disk");
    test::write(out / "SHA256SUMS", "old sums");
    test::write(out / "notes.txt", "the user's");
    outputs::Publisher publisher(tmp.path / "work/out", out);
    test::write(publisher.path("web.raw"), "new disk");
    test::write(publisher.path("web.vmlinuz"), "kernel");
    publisher.publish();
    CHECK(read_file(out / "web.raw") == "new disk");
    CHECK(read_file(out / "web.vmlinuz") == "kernel");
    CHECK(read_file(out / "SHA256SUMS").find("  web.raw\n") != std::string::npos);
    CHECK(read_file(out / "notes.txt") == "the user's");
    CHECK_FALSE(fs::exists(out / "web.raw.previous"));
}

TEST_CASE("a directory where an output goes stops the publish before any rename", "[outputs]") {
    test::TempDir tmp;
    fs::path out = tmp.path / "out";
    test::write(out / "web.initrd", "old initrd");
    fs::create_directories(out / "web.raw");
    outputs::Publisher publisher(tmp.path / "work/out", out);
    test::write(publisher.path("web.initrd"), "new initrd");
    test::write(publisher.path("web.raw"), "new disk");
    try {
        publisher.publish();
        FAIL("published over a directory");
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        CHECK_THAT(e.what(), Catch::Contains("web.raw' is a directory"));
    }
    CHECK(read_file(out / "web.initrd") == "old initrd"); // sorted first, still not renamed
    CHECK_FALSE(fs::exists(out / "SHA256SUMS"));
    CHECK_THROWS_AS(outputs::check_destinations(out, {"web.raw"}), Error);
    CHECK_NOTHROW(outputs::check_destinations(tmp.path / "missing", {"web.raw"}));
}
