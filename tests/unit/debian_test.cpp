#include "stage/debian.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

// Stands in for mmdebstrap: records the command and writes its tarball
// (the argument after the suite), or fails as mmdebstrap would.
class FakeMmdebstrap final : public exec::CommandRunner {
public:
    std::string run(const exec::Command& command) override {
        commands.push_back(command);
        if (fails) fail("mmdebstrap failed");
        std::ofstream(output_of(command)) << "tarball";
        return {};
    }
    static std::string output_of(const exec::Command& command) {
        for (const auto& arg : command.argv)
            if (arg.find(".tar.partial-") != std::string::npos) return arg;
        FAIL("no output argument");
        return {};
    }
    std::vector<exec::Command> commands;
    bool fails = false;
};

// Sets an environment variable for one scope, restoring it afterwards.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        value ? setenv(name, value, 1) : unsetenv(name);
    }
    ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

private:
    const char* name_;
    std::optional<std::string> old_;
};

const stage::DebianSource bookworm{"bookworm", {"systemd-sysv", "linux-image-cloud-amd64"}, "minbase", ""};

} // namespace

TEST_CASE("debian_cache_key ignores package order and changes with every input", "[stage]") {
    auto key = stage::debian_cache_key(bookworm);
    CHECK(key.size() == 64);
    auto reordered = bookworm;
    reordered.packages = {"linux-image-cloud-amd64", "systemd-sysv", "systemd-sysv"};
    CHECK(stage::debian_cache_key(reordered) == key);

    auto changed = [&](auto edit) {
        auto source = bookworm;
        edit(source);
        return stage::debian_cache_key(source);
    };
    CHECK(changed([](auto& s) { s.suite = "trixie"; }) != key);
    CHECK(changed([](auto& s) { s.variant = "standard"; }) != key);
    CHECK(changed([](auto& s) { s.mirror = "http://deb.debian.org/debian"; }) != key);
    CHECK(changed([](auto& s) { s.packages.push_back("openssh-server"); }) != key);
    CHECK(changed([](auto& s) { s.packages.pop_back(); }) != key);
    // Fields cannot bleed into each other.
    CHECK(changed([](auto& s) { s.suite = "bookwormminbase", s.variant = ""; }) != key);
}

TEST_CASE("fetch_debian runs mmdebstrap once, then uses the cache", "[stage]") {
    TempDir cache;
    FakeMmdebstrap runner;
    auto source = bookworm;
    source.mirror = "http://deb.debian.org/debian";
    fs::path tarball = stage::fetch_debian(source, cache.path, runner);
    CHECK(tarball == cache.path / "debian" / (stage::debian_cache_key(source) + ".tar"));
    CHECK(read_file(tarball) == "tarball");
    REQUIRE(runner.commands.size() == 1);
    std::string partial = tarball.string() + ".partial-" + std::to_string(getpid());
    CHECK(runner.commands[0].argv ==
          std::vector<std::string>{"mmdebstrap", "--mode=root", "--format=tar", "--variant=minbase",
                                   "--include=linux-image-cloud-amd64,systemd-sysv",
                                   "--customize-hook=rm -f \"$1/etc/resolv.conf\"",
                                   "--customize-hook=echo localhost > \"$1/etc/hostname\" && chmod 0644 \"$1/etc/hostname\"",
                                   "bookworm", partial,
                                   "http://deb.debian.org/debian"});
    CHECK_FALSE(fs::exists(partial));

    CHECK(stage::fetch_debian(source, cache.path, runner) == tarball);
    CHECK(runner.commands.size() == 1);
}

TEST_CASE("fetch_debian uses a tarball already in the cache without running anything", "[stage]") {
    TempDir cache;
    fs::create_directories(cache.path / "debian");
    fs::path cached = cache.path / "debian" / (stage::debian_cache_key(bookworm) + ".tar");
    std::ofstream(cached) << "cached";
    exec::RecordingRunner runner;
    CHECK(stage::fetch_debian(bookworm, cache.path, runner) == cached);
    CHECK(runner.commands.empty());
}

TEST_CASE("fetch_debian leaves nothing that looks cached when mmdebstrap fails", "[stage]") {
    TempDir cache;
    FakeMmdebstrap failing;
    failing.fails = true;
    CHECK_THROWS_WITH(stage::fetch_debian(bookworm, cache.path, failing), "mmdebstrap failed");
    CHECK(fs::is_empty(cache.path / "debian"));

    exec::RecordingRunner writes_nothing; // exits 0 without writing the tarball
    CHECK_THROWS_WITH(stage::fetch_debian(bookworm, cache.path, writes_nothing), Catch::Contains("did not write"));
    CHECK(fs::is_empty(cache.path / "debian"));

    auto no_suite = bookworm;
    no_suite.suite.clear();
    CHECK_THROWS_AS(stage::fetch_debian(no_suite, cache.path, writes_nothing), Error);
}

TEST_CASE("mmdebstrap_command leaves out empty options", "[stage]") {
    stage::DebianSource plain{"bookworm", {}, "", ""};
    auto argv = stage::mmdebstrap_command(plain, "/c/x.tar").argv;
    CHECK(argv.size() == 7);
    CHECK(argv[5] == "bookworm");
    CHECK(argv[6] == "/c/x.tar");
}

TEST_CASE("default_cache_dir follows LETHE_CACHE_DIR, XDG_CACHE_HOME, HOME", "[stage]") {
    ScopedEnv home("HOME", "/home/u");
    {
        ScopedEnv lethe_dir("LETHE_CACHE_DIR", "/srv/cache");
        ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
        CHECK(stage::default_cache_dir() == "/srv/cache");
    }
    {
        ScopedEnv lethe_dir("LETHE_CACHE_DIR", "");
        ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
        CHECK(stage::default_cache_dir() == "/xdg/lethe");
    }
    {
        ScopedEnv lethe_dir("LETHE_CACHE_DIR", nullptr);
        ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
        CHECK(stage::default_cache_dir() == "/home/u/.cache/lethe");
    }
}
