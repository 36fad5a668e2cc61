// What yaml-cpp would accept silently, and files that are no recipe or
// layout: refused at file:line:column with exit status 2 (spec/yaml_structure,
// util/input_file, spec/layout_file).

#include "spec/parse.hpp"
#include "spec/yaml_structure.hpp"
#include "test_checks.hpp"
#include "test_support.hpp"
#include "util/did_you_mean.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace lethe;

namespace {

const char* recipe = R"(name: web
rootfs: {mmdebstrap: {suite: bookworm}}
layout:
  disk:
    size: 2G
    partitions:
      - {name: usr, type: usr, size: auto, filesystem: erofs}
      - {name: persist, type: linux-generic, size: rest, filesystem: ext4}
  root: {tmpfs: {size: 512M}}
  persistence: {partition: persist, mount: /persist, directories: [/var/lib]}
outputs: [raw]
)";

std::string recipe_error(const std::string& text) {
    return test::input_error([&] { spec::parse_recipe(text, "web.yaml"); });
}

} // namespace

TEST_CASE("yaml: the test recipe is valid", "[spec][yaml]") {
    CHECK(spec::parse_recipe(recipe, "web.yaml").name == "web");
}

TEST_CASE("yaml: a key given twice is refused at the second one", "[spec][yaml]") {
    CHECK_THAT(
        recipe_error(test::replace(recipe, "outputs: [raw]\n", "outputs: [raw]\nname: other\n")),
        Catch::StartsWith("web.yaml:12:1: duplicate key 'name' (first at line 1, column 1)"));
    // In any mapping, flow or block, quoted or not: the key is the same scalar.
    CHECK_THAT(
        recipe_error(test::replace(recipe, "{size: 512M}", "{size: 512M, 'size': 1G}")),
        Catch::StartsWith("web.yaml:9:30: duplicate key 'size' (first at line 9, column 18)"));
    CHECK_THAT(recipe_error(test::replace(recipe, "  root:", "  disk: {}\n  root:")),
               Catch::Contains("duplicate key 'disk'"));
    // The same key in two different mappings is fine.
    CHECK_NOTHROW(
        spec::parse_recipe(test::replace(recipe, "outputs", "seed: size\noutputs"), "web.yaml"));
}

TEST_CASE("yaml: a second document is refused", "[spec][yaml]") {
    CHECK_THAT(recipe_error(std::string(recipe) + "---\nname: evil\n"),
               Catch::StartsWith("web.yaml:12:1: a second YAML document"));
    CHECK_THAT(recipe_error(std::string(recipe) + "---\n"),
               Catch::StartsWith("web.yaml:12:1: a second YAML document"));
    // An explicit start and end of the one document are fine.
    CHECK_NOTHROW(spec::parse_recipe("---\n" + std::string(recipe) + "...\n", "web.yaml"));
}

TEST_CASE("yaml: deep nesting is refused as such, not as a crash or 'bad file'", "[spec][yaml]") {
    for (size_t depth : {65, 1000, 100000}) {
        std::string flow = "name: " + std::string(depth, '[') + std::string(depth, ']') + "\n";
        CHECK_THAT(recipe_error(flow),
                   Catch::Contains("nested too deeply: lethe reads at most 64 levels"));
    }
    std::string block;
    for (size_t i = 0; i < 200; ++i)
        block += std::string(i, ' ') + "a:\n";
    CHECK_THAT(recipe_error(block), Catch::Contains("nested too deeply"));
    std::string sixty_four = "name: " + std::string(63, '[') + std::string(63, ']') + "\n";
    CHECK_THAT(recipe_error(sixty_four), !Catch::Contains("nested too deeply"));
}

TEST_CASE("yaml: an alias inside its own anchor is refused", "[spec][yaml]") {
    CHECK_THAT(recipe_error("name: web\noverlays: &a [*a]\n"),
               Catch::Contains("an alias inside the node its anchor names"));
    // Aliases to finished nodes are fine.
    CHECK(spec::parse_recipe(
              test::replace(test::replace(recipe, "suite: bookworm", "suite: &s bookworm"),
                            "outputs", "seed: *s\noutputs"),
              "web.yaml")
              .seed == "bookworm");
}

TEST_CASE("yaml: the structure check works on text alone", "[spec][yaml]") {
    CHECK_NOTHROW(spec::check_yaml_structure("a: {b: [1, 2], c: d}\ne: f\n"));
    CHECK_THROWS_AS(spec::check_yaml_structure("a: 1\nb: 2\na: 3\n"), spec::YamlProblem);
    CHECK_THROWS_AS(spec::check_yaml_structure("a: [1\n"), spec::YamlProblem); // syntax errors too
}

TEST_CASE("files: a missing recipe is bad input naming the path and the errno text",
          "[spec][files]") {
    CHECK(test::input_error([] { spec::load_recipe("/nonexistent/web.yaml"); }) ==
          "recipe '/nonexistent/web.yaml' cannot be opened: No such file or directory");
}

TEST_CASE("files: a directory or a FIFO is refused, not read", "[spec][files]") {
    test::TempDir tmp;
    CHECK(test::input_error([&] { spec::load_recipe(tmp.path.string()); }) ==
          "recipe '" + tmp.path.string() + "' is a directory, not a file");
    std::string fifo = (tmp.path / "fifo").string();
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    // Opening a FIFO for reading would wait for a writer: it is refused before.
    CHECK(test::input_error([&] { spec::load_recipe(fifo); }) ==
          "recipe '" + fifo + "' is a FIFO, not a file");
    CHECK(test::input_error([&] { spec::load_layout("/dev/zero"); }) ==
          "layout '/dev/zero' is a character device, not a file");
    test::write(
        tmp.path / "r.yaml",
        "name: web\nrootfs: {mmdebstrap: {suite: bookworm}}\nlayout: dir\noutputs: [raw]\n");
    std::filesystem::create_directory(tmp.path / "dir");
    CHECK_THAT(test::input_error([&] { spec::load_recipe((tmp.path / "r.yaml").string()); }),
               Catch::Contains("r.yaml:3:9: layout file '" + (tmp.path / "dir").string() +
                               "' is a directory, not a file"));
}

TEST_CASE("files: a rootfs of the wrong kind says so", "[spec][files]") {
    CHECK_THAT(
        recipe_error(test::replace(recipe, "{mmdebstrap: {suite: bookworm}}", "{tarball: /}")),
        Catch::Contains("tarball '/' is not a regular file"));
    CHECK_THAT(recipe_error(test::replace(recipe, "{mmdebstrap: {suite: bookworm}}",
                                          "{directory: /dev/null}")),
               Catch::Contains("directory '/dev/null' is not a directory"));
    CHECK_THAT(recipe_error(test::replace(recipe, "{mmdebstrap: {suite: bookworm}}",
                                          "{tarball: /nonexistent.tar}")),
               Catch::Contains("tarball '/nonexistent.tar' does not exist"));
}

TEST_CASE("files: recipes and layouts are read up to 1 MiB", "[spec][files]") {
    test::TempDir tmp;
    auto big = tmp.path / "big.yaml";
    test::write(big, std::string(recipe) + "# " + std::string(1 << 20, 'x') + "\n");
    CHECK_THAT(
        test::input_error([&] { spec::load_recipe(big.string()); }),
        Catch::Contains(
            "is 1 MiB (1048934 bytes); lethe reads a recipe of at most 1 MiB (1048576 bytes)"));
    test::write(big, std::string(recipe));
    CHECK(spec::load_recipe(big.string()).name == "web");
}

TEST_CASE("files: a layout file that is not a layout is not quoted in errors", "[spec][files]") {
    test::TempDir tmp;
    // Say `layout:` names a file of secrets: neither its lines nor its values appear.
    const std::string secret = "hunter2-very-secret";
    for (const std::string& text :
         {"root:$6$" + secret + ":19000:0:99999:7:::\n",
          "password: " + secret + "\ntoken: " + secret + "\n", "- " + secret + "\n",
          "[" + secret + "\n", "\"\\q" + secret + "\"\n", "a: 1\na: " + secret + "\n",
          "a: *" + secret + "\n"}) {
        test::write(tmp.path / "secrets", text);
        test::write(tmp.path / "r.yaml", "name: web\nrootfs: {mmdebstrap: {suite: "
                                         "bookworm}}\nlayout: secrets\noutputs: [raw]\n");
        std::string message =
            test::input_error([&] { spec::load_recipe((tmp.path / "r.yaml").string()); });
        CHECK_THAT(message, !Catch::Contains(secret));
        CHECK_THAT(message, Catch::StartsWith((tmp.path / "secrets").string() + ":"));
    }
    // A layout with a mistake is a layout: its errors quote it as before.
    test::write(tmp.path / "layout.yaml", "disk: {size: 2X, partitions: []}\n");
    CHECK_THAT(test::input_error([&] { spec::load_layout((tmp.path / "layout.yaml").string()); }),
               Catch::Contains("invalid size '2X'") && Catch::Contains("\n  disk: {size: 2X"));
    CHECK_THAT(test::input_error([&] { spec::parse_layout_file("dsik: {}\n", "l.yaml"); }),
               Catch::Contains("unknown key 'dsik' in layout (did you mean 'disk'?)"));
}

TEST_CASE("did-you-mean compares names, not whole pages", "[spec][fuzz]") {
    CHECK(did_you_mean("dsik", {"disk", "root"}) == " (did you mean 'disk'?)");
    // A 64-character word still gets its suggestion; a longer one none, so a
    // hostile key of megabytes costs nothing (the table is the product of the lengths).
    std::string name(64, 'a'), typo = name;
    typo[10] = 'b';
    CHECK(did_you_mean(typo, {name}) == " (did you mean '" + name + "'?)");
    CHECK(did_you_mean(typo + "a", {name + "a"}).empty());
}
