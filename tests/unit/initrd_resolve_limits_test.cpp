// modules.dep as a hostile rootfs may have it: chains as long as the file,
// cycles, paths out of the module directory, modules listed twice.

#include "initramfs/resolve.hpp"
#include "test_checks.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace lethe;
using namespace lethe::initramfs;

namespace {

std::string dep_error(const std::string& dep) {
    return test::input_error([&] { parse_module_index(dep, "", "", ""); });
}

std::string module(size_t i) {
    return "kernel/m" + std::to_string(i) + ".ko";
}

} // namespace

TEST_CASE("modules.dep: a chain of 100,000 dependencies resolves without recursion", "[initrd]") {
    const size_t length = 100000;
    std::string dep;
    for (size_t i = 0; i < length; ++i)
        dep += module(i) + ":" + (i + 1 < length ? " " + module(i + 1) : "") + "\n";
    ModuleIndex index = parse_module_index(dep, "", "", "");
    auto order = module_load_order(index, {"m0"}, {});
    REQUIRE(order.size() == length);
    CHECK(order.front() == "m99999");
    CHECK(order.back() == "m0");
    // The same through device patterns, which resolve each optional module again.
    CHECK(device_patterns(index, {}, {"m0"}, order).size() == length);
}

TEST_CASE("modules.dep: a dependency cycle is refused, however long", "[initrd]") {
    CHECK(dep_error("kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n") ==
          "modules.dep has a dependency cycle: a -> b -> a");
    CHECK(dep_error("kernel/a.ko: kernel/a.ko\n") == "modules.dep has a dependency cycle: a -> a");
    std::string dep;
    for (size_t i = 0; i < 100000; ++i)
        dep += module(i) + ": " + module((i + 1) % 100000) + "\n";
    CHECK_THAT(dep_error(dep),
               Catch::StartsWith("modules.dep has a dependency cycle: m0 -> m1 -> m2 -> "));
    // Softdeps may loop (they only order what is loaded anyway).
    ModuleIndex index = parse_module_index("kernel/a.ko:\nkernel/b.ko:\n",
                                           "softdep a pre: b\nsoftdep b pre: a\n", "", "");
    CHECK(module_load_order(index, {"a"}, {}) == std::vector<std::string>{"b", "a"});
}

TEST_CASE("modules.dep: paths leave the module directory neither up nor from the root",
          "[initrd]") {
    CHECK(dep_error("kernel/a.ko:\n../../../etc/shadow.ko:\n") ==
          "modules.dep:2: '../../../etc/shadow.ko' climbs out of the kernel's module directory "
          "with '..'");
    CHECK(
        dep_error("kernel/a.ko: kernel/../../b.ko\n") ==
        "modules.dep:1: 'kernel/../../b.ko' climbs out of the kernel's module directory with '..'");
    CHECK(dep_error("/lib/modules/x/kernel/a.ko:\n") ==
          "modules.dep:1: '/lib/modules/x/kernel/a.ko' is an absolute path; module paths are "
          "relative to the "
          "kernel's module directory");
    CHECK_THAT(dep_error("kernel/a.ko: /etc/b.ko\n"),
               Catch::StartsWith("modules.dep:1: '/etc/b.ko' is an absolute path"));
    // Names with dots are not "..".
    CHECK_NOTHROW(parse_module_index("kernel/..a/b..ko:\n", "", "", ""));
}

TEST_CASE("modules.dep: a module listed twice is refused", "[initrd]") {
    CHECK(dep_error("kernel/a/x.ko:\nkernel/b.ko:\nkernel/c/x.ko.xz: kernel/b.ko\n") ==
          "modules.dep:3: module 'x' again (first on line 1); depmod lists each module once");
}
