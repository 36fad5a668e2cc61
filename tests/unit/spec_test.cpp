#include "features/registry.hpp"
#include "spec/parse.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace lethe;

namespace {

const char* layout_yaml = R"(disk:
  size: 2G
  partitions:
    - name: usr
      type: usr
      size: auto
      filesystem: erofs
    - name: persist
      type: linux-generic
      size: rest
      filesystem: ext4
root:
  tmpfs:
    size: 512M
    options: [nosuid, nodev]
persistence:
  partition: persist
  mount: /persist
  directories:
    - /var/lib
    - { path: /etc/ssh, user: root, group: root, mode: "0755" }
  files:
    - /etc/machine-id
)";

std::string recipe_with(const std::string& layout) {
    std::string indented;
    for (size_t start = 0; start < layout.size();) {
        size_t end = layout.find('\n', start);
        indented += "  " + layout.substr(start, end - start) + "\n";
        start = end + 1;
    }
    return "name: web\nrootfs:\n  mmdebstrap:\n    suite: bookworm\n    packages: [systemd]\nlayout:\n" + indented +
           "outputs: [raw, qcow2]\n";
}

// The message of the lethe::Error a recipe raises, read or planned (exit status 2 asserted).
std::string error_of(const std::string& text) {
    try {
        features::make_plan(features::parse_recipe(text, "web.yaml"));
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        return e.what();
    }
    FAIL("no error for:\n" << text);
    return "";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    return text.replace(pos, from.size(), to);
}

} // namespace

TEST_CASE("a valid recipe with an inline layout is read completely", "[spec]") {
    spec::Recipe r = spec::parse_recipe(recipe_with(layout_yaml), "web.yaml");
    CHECK(r.name == "web");
    CHECK(r.seed == "web");
    CHECK(r.rootfs.kind == spec::RootfsSource::Kind::mmdebstrap);
    CHECK(r.rootfs.packages == std::vector<std::string>{"systemd"});
    REQUIRE(r.layout.disk.partitions.size() == 2);
    CHECK(r.layout.disk.size.bytes == 2ull << 30);
    CHECK(r.layout.disk.partitions[0].size.rule == spec::SizeRule::automatic);
    CHECK(r.layout.disk.partitions[0].type_name == "usr"); // the plan resolves it for the target
    CHECK(r.layout.disk.partitions[1].size.rule == spec::SizeRule::rest);
    CHECK(r.layout.root.size == 512ull << 20);
    CHECK(r.layout.root.mode == 0755);
    CHECK(r.layout.root.options == std::vector<std::string>{"nosuid", "nodev"});
    REQUIRE(r.layout.persistence.directories.size() == 2);
    CHECK(r.layout.persistence.directories[1].mode == 0755u);
    CHECK(r.layout.persistence.directories[1].user == "root");
    CHECK(r.layout.persistence.files[0].path == "/etc/machine-id");
    CHECK_FALSE(r.kernel.cmdline); // the plan's default, for the target's serial port:
    CHECK(features::make_plan(r).kernel.cmdline == "console=tty0 console=ttyS0,115200");
    CHECK(r.outputs == std::vector<std::string>{"raw", "qcow2"});
}

TEST_CASE("an unknown key names file:line:column and suggests the right one", "[spec]") {
    std::string message = error_of(replace(recipe_with(layout_yaml), "    size: 512M", "    sise: 512M"));
    CHECK_THAT(message, Catch::StartsWith("web.yaml:20:7: unknown key 'sise' in root.tmpfs (did you mean 'size'?)"));
    CHECK_THAT(message, Catch::Contains("\n        sise: 512M\n        ^"));
}

TEST_CASE("bad values say what was expected", "[spec]") {
    std::string recipe = recipe_with(layout_yaml);
    CHECK_THAT(error_of(replace(recipe, "size: 2G", "size: 2X")),
               Catch::StartsWith("web.yaml:8:11: invalid size '2X'"));
    CHECK_THAT(error_of(replace(recipe, "filesystem: erofs", "filesystem: erofz")),
               Catch::Contains("unknown value 'erofz': expected 'erofs', 'squashfs', 'ext4', 'vfat' or 'none' (did you mean 'erofs'?)"));
    CHECK_THAT(error_of(replace(recipe, "type: linux-generic", "type: linux-generc")),
               Catch::Contains("unknown partition type 'linux-generc'"));
    CHECK_THAT(error_of(replace(recipe, "partition: persist", "partition: persits")),
               Catch::Contains("no partition named 'persits' in disk.partitions (did you mean 'persist'?)"));
    CHECK_THAT(error_of(replace(recipe, "mode: \"0755\"", "mode: \"0855\"")), Catch::Contains("invalid mode '0855'"));
    CHECK_THAT(error_of(replace(recipe, "outputs: [raw, qcow2]", "outputs: [raw, vhd]")),
               Catch::Contains("unknown value 'vhd': expected 'raw', 'qcow2', 'raw.zst' or 'raw.xz'"));
    CHECK_THAT(error_of(replace(recipe, "name: web", "name: 'web server'")), Catch::StartsWith("web.yaml:1:7: an image name is"));
}

TEST_CASE("structural mistakes in a layout are refused", "[spec]") {
    std::string recipe = recipe_with(layout_yaml);
    CHECK_THAT(error_of(replace(recipe, "      type: usr\n", "      type: linux-generic\n")),
               Catch::Contains("exactly one partition of type 'usr'"));
    CHECK_THAT(error_of(replace(recipe, "      size: auto\n", "      size: rest\n")),
               Catch::Contains("only the last partition can take the 'rest'"));
    CHECK_THAT(error_of(replace(recipe, "    - name: persist", "    - name: usr")),
               Catch::Contains("a partition named 'usr' is already defined"));
    CHECK_THAT(error_of(replace(recipe, "      filesystem: ext4", "      filesystem: vfat")),
               Catch::Contains("the persistent partition must be ext4"));
    CHECK_THAT(error_of(replace(recipe, "    - /var/lib\n", "    - /var/lib\n      - /var/lib/tailscale\n")),
               Catch::Contains("'/var/lib/tailscale' overlaps '/var/lib'"));
    CHECK_THAT(error_of(replace(recipe, "    - /var/lib\n", "    - /usr/local\n")), Catch::Contains("/usr is not part of the tmpfs root"));
    CHECK_THAT(error_of(replace(recipe, "    - /var/lib\n", "    - /var/../etc\n")), Catch::Contains("must not contain '..'"));
    CHECK_THAT(error_of(replace(recipe, "    - /var/lib\n", "    - var/lib\n")), Catch::Contains("is not an absolute path"));
    CHECK_THAT(error_of(replace(recipe, "  root:\n", "  rot:\n")), Catch::Contains("unknown key 'rot' in layout (did you mean 'root'?)"));
}

TEST_CASE("missing keys and YAML syntax errors are located", "[spec]") {
    CHECK_THAT(error_of("name: web\n"), Catch::Contains("recipe needs the key 'rootfs'"));
    CHECK_THAT(error_of("name: [web\n"), Catch::StartsWith("web.yaml:2:1:"));
    CHECK_THAT(error_of("- just\n- a list\n"), Catch::StartsWith("web.yaml:1:1: expected recipe (a mapping), got a list"));
}

TEST_CASE("a missing tarball or layout file is bad input", "[spec]") {
    std::string recipe = recipe_with(layout_yaml);
    CHECK_THAT(error_of(replace(recipe, "  mmdebstrap:\n    suite: bookworm\n    packages: [systemd]\n", "  tarball: /nonexistent/root.tar\n")),
               Catch::Contains("tarball '/nonexistent/root.tar' does not exist"));
    CHECK_THAT(
        error_of("name: web\nrootfs: {directory: /}\nlayout: nowhere.yaml\noutputs: [raw]\n"),
        Catch::Contains("layout file 'nowhere.yaml' cannot be opened: No such file or directory"));
}

TEST_CASE("the shipped recipes and layouts parse", "[spec]") {
    spec::Recipe r = features::load_recipe((lethe::test::source_dir() / "images/debian.yaml").string());
    CHECK(r.name == "debian");
    CHECK(r.layout.persistence.mount == "/persist");
    CHECK(r.layout.file.find("layouts/debian-server.yaml") != std::string::npos);
}

TEST_CASE("persistence.grow is on unless the layout turns it off", "[spec]") {
    std::string recipe = recipe_with(layout_yaml);
    CHECK(spec::parse_recipe(recipe, "web.yaml").layout.persistence.grow);
    std::string off = replace(recipe, "    mount: /persist\n", "    mount: /persist\n    grow: false\n");
    CHECK_FALSE(spec::parse_recipe(off, "web.yaml").layout.persistence.grow);
    CHECK_THAT(error_of(replace(recipe, "    mount: /persist\n", "    mount: /persist\n    grow: sometimes\n")),
               Catch::StartsWith("web.yaml:25:11: expected true or false, got 'sometimes'"));
    CHECK_THAT(error_of(replace(recipe, "    mount: /persist\n", "    mount: /persist\n    grwo: false\n")),
               Catch::Contains("unknown key 'grwo' in persistence (did you mean 'grow'?)"));
}
