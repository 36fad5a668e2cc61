// lethe-metadata's pure parts: URLs, HTTP responses, and Hetzner's metadata
// turned into a .network file and authorized_keys (docs/hetzner.md).

#include "metadata/error.hpp"
#include "metadata/hetzner.hpp"
#include "metadata/http.hpp"

#include <catch2/catch.hpp>

using namespace lethe::metadata;

namespace {

// The current format (as Hetzner serves it and afterburn's fixtures show):
// one physical entry with both subnets.
const char* metadata_yaml = R"(availability-zone: hel1-dc2
hostname: my-server
instance-id: 42
local-ipv4: ''
network-config:
  version: 1
  config:
    - type: physical
      name: eth0
      mac_address: 96:00:00:AB:CD:EF
      subnets:
        - type: dhcp
          ipv4: true
        - type: static
          address: 2a01:4f8:c17:1234::1/64
          ipv6: true
          gateway: fe80::1
          dns_nameservers:
            - 2a01:4ff:ff00::add:2
            - 2a01:4ff:ff00::add:1
public-ipv4: 1.2.3.4
region: eu-central
)";

// The older format (cloud-init's test data): the IPv6 subnet on an alias
// entry without a MAC, the gateway in `routes` with the interface name.
const char* old_metadata_yaml = R"(hostname: cloudinit-test
network-config:
  config:
  - mac_address: 96:00:00:08:19:da
    name: eth0
    subnets:
    - {ipv4: true, type: dhcp, dns_nameservers: [213.133.99.99]}
    type: physical
  - name: eth0:0
    subnets:
    - address: 2a01:4f8:beef:beef::1/64
      ipv6: true
      routes:
      - {gateway: 'fe80::1%eth0', netmask: 0, network: '::'}
      type: static
    type: physical
  version: 1
)";

} // namespace

TEST_CASE("metadata: URLs are http:// with an IPv4 host", "[metadata]") {
    Url url = parse_url("http://169.254.169.254/hetzner/v1/metadata");
    CHECK(url.host == "169.254.169.254");
    CHECK(url.port == 80);
    CHECK(url.path == "/hetzner/v1/metadata");
    CHECK(parse_url("http://10.0.2.2:8080").path == "/");
    CHECK(parse_url("http://10.0.2.2:8080").port == 8080);
    CHECK_THROWS_AS(parse_url("https://169.254.169.254/"), Error);
    CHECK_THROWS_AS(parse_url("http://metadata.local/x"), Error);
    CHECK_THROWS_AS(parse_url("http://1.2.3.4:99999/x"), Error);
    CHECK_THROWS_AS(parse_url("http://1.2.3.4/a b"), Error);
    CHECK(http_request(url) ==
          "GET /hetzner/v1/metadata HTTP/1.0\r\nHost: 169.254.169.254\r\nUser-Agent: lethe-metadata\r\n"
          "Accept: */*\r\nConnection: close\r\n\r\n");
}

TEST_CASE("metadata: HTTP responses", "[metadata]") {
    auto ok = parse_http_response("HTTP/1.1 200 OK\r\nContent-Type: text/yaml\r\ncontent-length: 5\r\n\r\nhello");
    CHECK(ok.status == 200);
    CHECK(ok.body == "hello");
    // Without Content-Length: up to the end; extra bytes after it are dropped.
    CHECK(parse_http_response("HTTP/1.0 200 OK\r\nServer: x\r\n\r\na\r\nb").body == "a\r\nb");
    CHECK(parse_http_response("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nabc").body == "ab");
    CHECK(parse_http_response("HTTP/1.0 404\r\n\r\n").status == 404);
    CHECK(parse_http_response("HTTP/1.1 503 Service Unavailable\r\n\r\n").status == 503);
    CHECK(parse_http_response("HTTP/1.0 200 OK\r\n\r\n").body.empty());

    CHECK_THROWS_AS(parse_http_response(""), Error);
    CHECK_THROWS_AS(parse_http_response("SSH-2.0-OpenSSH\r\n\r\n"), Error);
    CHECK_THROWS_AS(parse_http_response("HTTP/1.1 20 OK\r\n\r\n"), Error);
    CHECK_THROWS_AS(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n"), Error); // no end of headers
    CHECK_THROWS_AS(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"), Error);
    CHECK_THROWS_AS(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"), Error);
    CHECK_THROWS_AS(parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello"), Error);
    CHECK_THROWS_AS(parse_http_response("HTTP/1.1 200 OK\r\nno colon\r\n\r\n"), Error);
}

TEST_CASE("metadata: Hetzner's network-config becomes a .network file for the NIC's MAC", "[metadata]") {
    auto ipv6 = parse_ipv6_config(metadata_yaml);
    REQUIRE(ipv6);
    CHECK(ipv6->mac == "96:00:00:ab:cd:ef");
    CHECK(ipv6->address == "2a01:4f8:c17:1234::1/64");
    CHECK(ipv6->gateway == "fe80::1");
    CHECK(render_network_file(*ipv6) ==
          "# Written at boot by lethe-metadata from Hetzner Cloud's metadata service\n"
          "# (lethe-hetzner-metadata.service). In /run: each boot fetches it again.\n"
          "[Match]\nMACAddress=96:00:00:ab:cd:ef\n\n[Network]\nDHCP=ipv4\nAddress=2a01:4f8:c17:1234::1/64\n"
          "Gateway=fe80::1\nDNS=2a01:4ff:ff00::add:2\nDNS=2a01:4ff:ff00::add:1\n");

    auto old = parse_ipv6_config(old_metadata_yaml);
    REQUIRE(old);
    CHECK(old->mac == "96:00:00:08:19:da");
    CHECK(old->address == "2a01:4f8:beef:beef::1/64");
    CHECK(old->gateway == "fe80::1");
    CHECK(old->dns.empty());
}

TEST_CASE("metadata: no IPv6, and malformed values refused", "[metadata]") {
    CHECK_FALSE(parse_ipv6_config("hostname: x\npublic-ipv4: 1.2.3.4\n"));
    CHECK_FALSE(parse_ipv6_config("network-config:\n  config:\n  - {type: physical, mac_address: "
                                  "'96:00:00:00:00:01', subnets: [{type: dhcp, ipv4: true}]}\n"));
    auto with = [](const std::string& from, const std::string& to) {
        std::string text = metadata_yaml;
        return text.replace(text.find(from), from.size(), to);
    };
    CHECK_THROWS_AS(parse_ipv6_config(with("::1/64", "::1/64\\nDNS=evil")), Error);
    CHECK_THROWS_AS(parse_ipv6_config(with("::1/64", "::1")), Error);        // no prefix
    CHECK_THROWS_AS(parse_ipv6_config(with("::1/64", "::1/129")), Error);
    CHECK_THROWS_AS(parse_ipv6_config(with("fe80::1", "fe80::zz")), Error);
    CHECK_THROWS_AS(parse_ipv6_config(with("96:00:00:AB:CD:EF", "96:00:00:AB:CD")), Error);
    CHECK_THROWS_AS(parse_ipv6_config("{ not: yaml"), Error);
    CHECK_THROWS_AS(parse_ipv6_config("- a list"), Error);
}

TEST_CASE("metadata: public-keys (JSON) becomes authorized_keys", "[metadata]") {
    std::string json = R"(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBjYTHGYkNK7DZ4Gn0NGN1sjFUVapus4GXybEYg/ylcA some-key", )"
                       R"("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== other@host"])";
    auto keys = parse_public_keys(json);
    REQUIRE(keys.size() == 2);
    CHECK(keys[1] == "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== other@host");
    std::string text = render_authorized_keys(keys);
    CHECK_THAT(text, Catch::EndsWith("ylcA some-key\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== other@host\n"));
    CHECK(text.rfind("# ", 0) == 0);
    CHECK(parse_public_keys("[]").empty());

    CHECK_THROWS_AS(parse_public_keys("{\"a\": 1}"), Error);
    CHECK_THROWS_AS(parse_public_keys("[[\"nested\"]]"), Error);
    CHECK_THROWS_AS(parse_public_keys("[\"not a key\"]"), Error);
    // A line break would smuggle a second line (e.g. with options) into authorized_keys.
    CHECK_THROWS_AS(parse_public_keys("[\"ssh-ed25519 AAAA x\\ncommand=\\\"sh\\\" ssh-ed25519 AAAA\"]"), Error);
}
