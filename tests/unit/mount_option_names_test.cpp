// Mount options on persisted paths, checked against libmount's option maps
// (builder/spec/mount_option_names).

#include "spec/mount_option_names.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace lethe;

namespace {

std::vector<std::string> read(const std::string& list) {
    spec::Document doc = spec::Document::parse("options: " + list + "\n", "r.yaml");
    return spec::read_bind_mount_options(doc, doc.root()["options"]);
}

std::string read_error(const std::string& list) {
    try {
        read(list);
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        return e.what();
    }
    FAIL("no error for " << list);
    return "";
}

} // namespace

TEST_CASE("mount options: libmount's names", "[mount-options]") {
    for (const char* name : {"noexec", "nosuid", "nodev", "ro", "rw", "relatime", "sync",
                             "defaults", "nofail", "_netdev", "user", "comment"})
        CHECK(spec::libmount_knows(name));
    for (const char* name : {"noexe", "", "uid", "user=x", "noexec,nodev"})
        CHECK_FALSE(spec::libmount_knows(name));
}

TEST_CASE("mount options: what a bind mount of a persisted path takes", "[mount-options]") {
    for (const auto& name : spec::bind_mount_option_names())
        CHECK(spec::check_bind_mount_option(name).empty());
    CHECK(spec::bind_mount_option_names() ==
          std::vector<std::string>{"noexec", "nosuid", "nodev", "ro"});
    CHECK(spec::check_bind_mount_option("noexe") ==
          "unknown mount option 'noexe' (did you mean 'noexec'?)");
    CHECK(spec::check_bind_mount_option("nosiud") ==
          "unknown mount option 'nosiud' (did you mean 'nosuid'?)");
    CHECK(spec::check_bind_mount_option("node") ==
          "unknown mount option 'node' (did you mean 'nodev'?)");
    // Not close to a bind option, but to another of libmount's names.
    CHECK(spec::check_bind_mount_option("relatim") ==
          "unknown mount option 'relatim' (did you mean 'relatime'?)");
    CHECK(spec::check_bind_mount_option("whatever") == "unknown mount option 'whatever'");
    CHECK_THAT(spec::check_bind_mount_option("relatime"),
               Catch::StartsWith(
                   "'relatime' is a mount option, but not one a bind mount can set: a persisted "
                   "path takes noexec, nosuid, nodev and ro"));
    CHECK_THAT(spec::check_bind_mount_option("sync"),
               Catch::StartsWith("'sync' is a mount option, but not"));
    CHECK(spec::check_bind_mount_option("exec") ==
          "'exec' is what a persisted path gets without options: leave it out");
    CHECK_THAT(spec::check_bind_mount_option("rw"),
               Catch::StartsWith("'rw' is what a persisted path gets"));
}

TEST_CASE("mount options: an options list in a recipe", "[mount-options]") {
    CHECK(read("[noexec, nosuid, nodev]") == std::vector<std::string>{"noexec", "nosuid", "nodev"});
    CHECK(read("[ro]") == std::vector<std::string>{"ro"});
    CHECK(read("[]").empty());
    CHECK(read_error("[nosuid, noexe]") ==
          "r.yaml:1:19: unknown mount option 'noexe' (did you mean 'noexec'?)\n"
          "  options: [nosuid, noexe]\n" +
              std::string(20, ' ') + "^");
    CHECK_THAT(read_error("[noexec, noexec]"),
               Catch::StartsWith("r.yaml:1:19: 'noexec' is listed twice"));
    CHECK_THAT(read_error("noexec"),
               Catch::StartsWith("r.yaml:1:10: expected a list of mount options"));
}
