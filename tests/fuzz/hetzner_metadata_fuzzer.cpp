// Hetzner Cloud's metadata document and public-keys list, as lethe-metadata
// reads them at boot. Whatever they accept goes into a .network file and
// authorized_keys line by line, so no accepted value may hold a line break
// or another control character.

#include "fuzz_support.hpp"
#include "metadata/error.hpp"
#include "metadata/hetzner.hpp"

#include <yaml-cpp/yaml.h>

namespace {

bool one_line(const std::string& value) {
    for (unsigned char c : value)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

void check_ipv6(const std::string& text) {
    auto config = lethe::metadata::parse_ipv6_config(text);
    if (!config) return;
    lethe::fuzz::require(one_line(config->mac) && one_line(config->address) &&
                             one_line(config->gateway),
                         "a metadata value with a control character");
    for (const auto& server : config->dns)
        lethe::fuzz::require(one_line(server), "a DNS server with a control character");
    lethe::metadata::render_network_file(*config);
}

void check_keys(const std::string& text) {
    for (const auto& key : lethe::metadata::parse_public_keys(text))
        lethe::fuzz::require(one_line(key), "a public key with a control character");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text = lethe::fuzz::text_of(data, size);
    for (auto* parse : {check_ipv6, check_keys}) {
        try {
            parse(text);
        } catch (const lethe::metadata::Error&) {
        }
    }
    return 0;
}
