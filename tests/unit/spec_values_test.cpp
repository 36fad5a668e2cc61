// Values a recipe may not have because of limits outside lethe (the
// kernel, the C library, GPT, lethe-init): refused when the recipe is read,
// at file:line:column with exit status 2, saying the limit
// (spec/value_limits, spec/yaml_reader).

#include "plan/plan.hpp"
#include "spec/parse.hpp"
#include "test_checks.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace lethe;

namespace {

const char* recipe = R"(name: web
rootfs: {mmdebstrap: {suite: bookworm, mirror: "http://deb.debian.org/debian"}}
layout:
  disk:
    size: 2G
    partitions:
      - {name: usr, type: usr, size: auto, filesystem: erofs}
      - {name: persist, type: linux-generic, size: rest, filesystem: ext4}
  root: {tmpfs: {size: 512M, options: [nosuid]}}
  persistence:
    partition: persist
    mount: /persist
    directories:
      - {path: /srv/app, user: app, group: app}
kernel: {version: 6.1.0-28-cloud-amd64, cmdline: "console=ttyS0"}
outputs: [raw, qcow2]
)";

std::string error_of(const std::string& text) {
    return test::input_error([&] { spec::parse_recipe(text, "web.yaml"); });
}

std::string with(const std::string& from, const std::string& to) {
    return test::replace(recipe, from, to);
}

} // namespace

TEST_CASE("values: the test recipe is valid", "[spec][values]") {
    spec::Recipe r = spec::parse_recipe(recipe, "web.yaml");
    CHECK(r.layout.persistence.directories[0].user == "app");
    CHECK(r.kernel.version == "6.1.0-28-cloud-amd64");
}

TEST_CASE("values: a numeric user or group fits uid_t and is not (uid_t)-1", "[spec][values]") {
    CHECK(spec::parse_recipe(with("user: app", "user: \"4294967294\""), "web.yaml")
              .layout.persistence.directories[0]
              .user == "4294967294");
    CHECK(spec::parse_recipe(with("group: app", "group: 0"), "web.yaml")
              .layout.persistence.directories[0]
              .group == "0");
    // 2^32 would become uid 0 after a cast to 32 bits.
    CHECK_THAT(
        error_of(with("user: app", "user: \"4294967296\"")),
        Catch::StartsWith(
            "web.yaml:14:32: user 4294967296 is out of range: a numeric user is 0 to 4294967294 "
            "(uid_t is 32 bits, and 4294967295 is (uid_t)-1, which names nobody)"));
    CHECK_THAT(error_of(with("user: app", "user: 4294967295")), Catch::Contains("out of range"));
    CHECK_THAT(error_of(with("group: app", "group: 99999999999999999999999")),
               Catch::Contains("group 99999999999999999999999 is out of range") &&
                   Catch::Contains("gid_t"));
    CHECK_THAT(error_of(with("user: app", "user: \"a:b\"")), Catch::Contains("not a user name"));
    CHECK_THAT(error_of(with("user: app", "user: \"\"")), Catch::Contains("not a user name"));
    CHECK_THAT(error_of(with("group: app", "group: \"ad\\nmin\"")),
               Catch::Contains("not a group name"));
    CHECK_THAT(error_of(with("user: app", "user: -1")), Catch::Contains("not a user name"));
}

TEST_CASE("values: persisted paths are printable and fit NAME_MAX and PATH_MAX", "[spec][values]") {
    CHECK_THAT(error_of(with("path: /srv/app", "path: \"/srv/a\\0pp\"")),
               Catch::Contains("holds a control character (byte 0x00 at offset 6)"));
    CHECK_THAT(error_of(with("path: /srv/app", "path: \"/srv/a\\npp\"")),
               Catch::Contains("byte 0x0a"));
    CHECK_THAT(error_of(with("mount: /persist", "mount: \"/per\\tsist\"")),
               Catch::Contains("byte 0x09"));
    std::string name_255(255, 'n'), name_256(256, 'n');
    CHECK_NOTHROW(spec::parse_recipe(with("path: /srv/app", "path: /srv/" + name_255), "web.yaml"));
    CHECK_THAT(
        error_of(with("path: /srv/app", "path: /srv/" + name_256)),
        Catch::Contains(
            "a component of this path is 256 bytes; Linux file names are at most 255 (NAME_MAX)"));
    std::string deep;
    while (deep.size() < 4096)
        deep += "/" + std::string(200, 'd');
    CHECK_THAT(
        error_of(with("path: /srv/app", "path: " + deep)),
        Catch::Contains("Linux paths are at most 4095 (PATH_MAX, 4096 with the terminating NUL)"));
    // Kept at /persist/PATH on the persistent partition: that must fit as well.
    std::string fits = deep.substr(0, 4090);
    CHECK_NOTHROW(
        spec::parse_recipe(with("path: /srv/app", "path: " + fits.substr(0, 4087)), "web.yaml"));
    CHECK_THAT(error_of(with("path: /srv/app", "path: " + fits)),
               Catch::Contains("/persist/... (where this path is kept) is 4098 bytes"));
}

TEST_CASE("values: the persistent mount is not on a place lethe-init or the kernel owns",
          "[spec][values]") {
    for (const char* taken : {"/", "/proc", "/sys/x", "/dev", "/run", "/usr", "/usr/local", "/etc",
                              "/etc/persist", "/tmp", "/bin", "/lib64"}) {
        CAPTURE(taken);
        CHECK_THAT(
            error_of(with("mount: /persist", std::string("mount: ") + taken)),
            Catch::StartsWith("web.yaml:12:12: the persistent partition cannot be mounted at"));
    }
    CHECK(spec::parse_recipe(with("mount: /persist", "mount: /var/persist"), "web.yaml")
              .layout.persistence.mount == "/var/persist");
    CHECK(spec::parse_recipe(with("mount: /persist", "mount: /etcetera"), "web.yaml")
              .layout.persistence.mount == "/etcetera");
}

TEST_CASE("values: partition types and counts GPT can hold", "[spec][values]") {
    CHECK_THAT(
        error_of(with("type: linux-generic", "type: 00000000-0000-0000-0000-000000000000")),
        Catch::StartsWith("web.yaml:8:31: the all-zero type GUID marks an unused GPT entry"));
    auto layout_with = [](size_t extra) {
        std::string list;
        for (size_t i = 0; i < extra; ++i)
            list += "      - {name: p" + std::to_string(i) +
                    ", type: srv, size: 1M, filesystem: none}\n";
        return with("      - {name: persist", list + "      - {name: persist");
    };
    CHECK_THAT(
        error_of(layout_with(127)),
        Catch::Contains(
            "the layout lists 129 partitions; a GPT holds at most 128 (its partition entry array "
            "has 128 entries)"));
    // 128 fit, unless the ESP lethe adds for boot.firmware makes 129: refused at plan time.
    spec::Recipe full = spec::parse_recipe(layout_with(126), "web.yaml");
    CHECK_THAT(test::input_error([&] { plan::make_plan(full); }),
               Catch::Contains("129 partitions with it do not fit a GPT, which holds at most 128"));
    full.boot.firmware = std::vector<catalog::Firmware>{}; // no ESP: 128 partitions are fine
    CHECK(plan::make_plan(full).partitions.size() == 128);
}

TEST_CASE("values: kernel.cmdline is one line the kernel takes whole", "[spec][values]") {
    CHECK_THAT(
        error_of(with("cmdline: \"console=ttyS0\"", "cmdline: \"console=ttyS0\\ninit=/bin/sh\"")),
        Catch::StartsWith(
            "web.yaml:15:50: kernel.cmdline holds a control character (byte 0x0a at offset 13)"));
    CHECK_THAT(error_of(with("cmdline: \"console=ttyS0\"", "cmdline: \"quiet\\tro\"")),
               Catch::Contains("byte 0x09"));
    CHECK_THAT(error_of(with("kernel: {version: 6.1.0-28-cloud-amd64, cmdline: \"console=ttyS0\"}",
                             "kernel:\n  cmdline: |\n    console=ttyS0\n    init=/bin/sh")),
               Catch::Contains("control character"));
    std::string longest(1983, 'q'), too_long(1984, 'q');
    CHECK(spec::parse_recipe(with("console=ttyS0", longest), "web.yaml").kernel.cmdline->size() ==
          1983);
    CHECK_THAT(error_of(with("console=ttyS0", too_long)),
               Catch::Contains("kernel.cmdline is 1984 bytes; the kernel takes at most 2047 "
                               "(COMMAND_LINE_SIZE is 2048 "
                               "on x86-64, with the NUL)"));
}

TEST_CASE("values: outputs, kernel versions, names and mirrors", "[spec][values]") {
    CHECK_THAT(
        error_of(with("outputs: [raw, qcow2]", "outputs: [raw, qcow2, raw]")),
        Catch::StartsWith("web.yaml:16:23: 'raw' is listed twice (first at web.yaml:16:11)"));
    CHECK_THAT(error_of(with("version: 6.1.0-28-cloud-amd64", "version: ../../etc")),
               Catch::Contains("a kernel version is what `uname -r` prints"));
    CHECK_THAT(error_of(with("version: 6.1.0-28-cloud-amd64", "version: 6.1/x")),
               Catch::Contains("uname -r"));
    CHECK_THAT(error_of(with("name: web", "name: " + std::string(201, 'w'))),
               Catch::Contains("the image name is 201 characters; at most 200"));
    CHECK_NOTHROW(
        spec::parse_recipe(with("name: web", "name: " + std::string(200, 'w')), "web.yaml"));
    // A line break in the mirror would add a line of its own to apt's sources.
    CHECK_THAT(
        error_of(with("\"http://deb.debian.org/debian\"", "\"http://x/\\ndeb http://evil/ ./\"")),
        Catch::Contains("expected a mirror URL on one line, without control characters"));
    CHECK_THAT(error_of(with("suite: bookworm", "suite: \"bookworm\\r\"")),
               Catch::Contains("on one line"));
    CHECK_THAT(error_of(with("options: [nosuid]", "options: [\"nosuid\\n\"]")),
               Catch::Contains("a mount option has no blanks or control characters"));
}
