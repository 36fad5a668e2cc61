// The inputs the fuzzers stopped on (tests/fuzz/regressions), each fed to
// its parser again: every one is now refused with a clean error.

#include "initramfs/resolve.hpp"
#include "metadata/error.hpp"
#include "metadata/hetzner.hpp"
#include "metadata/http.hpp"
#include "secret/armor.hpp"
#include "secret/header.hpp"
#include "secret/primitives.hpp"
#include "test_checks.hpp"
#include "test_support.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

using namespace lethe;

namespace {

std::string regression(const std::string& name) {
    std::ifstream in(test::source_dir() / "tests/fuzz/regressions" / name, std::ios::binary);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

TEST_CASE("fuzz: base64 with bytes above 127 is not canonical", "[fuzz][secret]") {
    secret::Bytes out;
    CHECK(secret::base64_decode("////", false, out));
    // libsodium 1.0.18 decodes these four bytes as "////".
    CHECK_FALSE(secret::base64_decode("\xcd\xcb\x96\x8f", false, out));
    CHECK_FALSE(secret::base64_decode("AAA\xcd", true, out));
    // The header's MAC line had them in the middle; the MAC does not cover its own line.
    std::string file = regression("age_header-non-ascii-mac");
    CHECK(test::input_error([&] { secret::parse_header(file, "f.age"); }) ==
          "f.age: malformed age header: invalid header MAC");
    // The armor had them in a line of its base64.
    std::string armored = regression("age_armor-non-ascii-base64");
    CHECK(test::input_error([&] { secret::dearmor(armored, "f.age"); }) ==
          "f.age: invalid armor: a line is not canonical base64");
}

TEST_CASE("fuzz: a URL with a NUL cannot add lines to the request", "[fuzz][metadata]") {
    // inet_pton() stopped at the NUL and took "10.0.2.2"; the rest went into the Host header.
    std::string url = regression("http_response-nul-in-url");
    REQUIRE(url.find('\0') != std::string::npos);
    CHECK_THROWS_WITH(metadata::parse_url(url), "the URL has a space or control character");
    CHECK_THROWS_AS(metadata::parse_url(std::string("http://10.0.2.2\0/x", 18)), metadata::Error);
    CHECK_THROWS_AS(metadata::parse_url("http://10.0.2.2\r\nX: y/"), metadata::Error);
}

TEST_CASE("fuzz: a metadata gateway with a NUL does not reach the .network file", "[fuzz][metadata]") {
    // inet_pton() stopped at the NUL and took "fe80::1"; the NULs went into Gateway=.
    std::string text = regression("hetzner_metadata-nul-in-gateway");
    REQUIRE(text.find('\0') != std::string::npos);
    CHECK_THROWS_WITH(metadata::parse_ipv6_config(text), Catch::StartsWith("the metadata's IPv6 gateway"));
    std::string address = "network-config:\n  config:\n  - {type: physical, mac_address: '96:00:00:08:19:da', "
                          "subnets: [{type: static, address: \"2a01:4f8::1\\0/64\"}]}\n";
    CHECK_THROWS_WITH(metadata::parse_ipv6_config(address), Catch::StartsWith("the metadata's IPv6 address"));
}

TEST_CASE("fuzz: a softdep against modules.dep is refused, not loaded in the wrong order",
          "[fuzz][initrd]") {
    // `softdep x pre: z_z` while z_z needs x: z_z came first and would fail to load.
    std::string text = regression("modules_index-softdep-against-dep");
    std::vector<std::string> parts;
    for (size_t start = 0, end = 0; parts.size() < 5; start = end + 1) {
        end = parts.size() == 4 ? text.size() : text.find('\x01', start);
        parts.push_back(text.substr(start, end - start));
    }
    auto index = initramfs::parse_module_index(parts[0], parts[1], parts[2], parts[3], parts[4]);
    CHECK(test::input_error([&] { initramfs::module_load_order(index, {"x"}, {}); }) ==
          "kernel module 'z_z' needs 'x' (modules.dep), but a softdep puts it before 'x' "
          "(modules.softdep): the two "
          "contradict each other");
}
