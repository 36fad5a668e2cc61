#include "secret/age.hpp"
#include "secret/armor.hpp"
#include "secret/bech32.hpp"
#include "secret/header.hpp"
#include "secret/primitives.hpp"
#include "secret/stream.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <sodium.h>

#include <string>

#include "test_checks.hpp"

using namespace lethe;
using namespace lethe::secret;

namespace {

std::string hex(const uint8_t* data, size_t size) {
    std::string out(size * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data, size);
    out.pop_back();
    return out;
}

template <size_t N> std::string hex(const std::array<uint8_t, N>& a) { return hex(a.data(), N); }

std::string sha256(const std::string& data) {
    std::array<uint8_t, 32> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const uint8_t*>(data.data()), data.size());
    return hex(digest);
}

// From the age test kit (C2SP/CCTV age, file "armor"): an armored file to
// this identity whose payload is "age" and whose file key is "YELLOW SUBMARINE".
const std::string kit_identity = "AGE-SECRET-KEY-1XMWWC06LY3EE5RYTXM9MFLAZ2U56JJJ36S0MYPDRWSVLUL66MV4QX3S7F6";
const std::string kit_recipient = "age1w3tyke4gev25vaxxsvcgqu4484rf6ejpmavs57p6yz6lhy2sfs5swrvwyn"; // age-keygen -y
const std::string kit_armored = "-----BEGIN AGE ENCRYPTED FILE-----\n"
                                "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBURWlGMHlwcXIrYnB2Y3FY\n"
                                "TnlDVkpwTDdPdXdQZFZ3UEw3S1FFYkZET0NjCkVtRUNBRWNLTituL1ZzOVNiV2lW\n"
                                "K0h1MHIrRThSNzdEZFdZeWQ4M253N1UKLS0tIFZuKzU0anFpaVVDRStXWmNFVlkz\n"
                                "ZjFzcUhqbHUvejFMQ1EvVDdYbTdxSTAK7s9ix86RtDMnTmjU8vkTTLdMW/73vqpS\n"
                                "yPC8DpksHoMx+2Y=\n"
                                "-----END AGE ENCRYPTED FILE-----\n";

std::vector<Identity> identities_of(const std::string& text) { return {parse_identity(text)}; }

std::string pattern(size_t size) {
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
    return data;
}

using test::input_error;

} // namespace

TEST_CASE("bech32 accepts BIP-173 vectors and rejects corrupted ones", "[secret]") {
    auto a = bech32::decode("A12UEL5L");
    REQUIRE(a);
    CHECK(a->hrp == "A");
    CHECK(a->data.empty());
    auto b = bech32::decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
    REQUIRE(b);
    CHECK(hex(b->data.data(), b->data.size()) == "00443214c74254b635cf84653a56d7c675be77df");
    CHECK(bech32::encode("abcdef", b->data) == "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
    CHECK(bech32::encode("a", {}) == "a12uel5l");
    CHECK_FALSE(bech32::decode("A12UEl5L"));                                       // mixed case
    CHECK_FALSE(bech32::decode("a12uel5m"));                                       // bad checksum
    CHECK_FALSE(bech32::decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx")); // bad checksum
    CHECK_FALSE(bech32::decode("abcdef1bpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")); // 'b' is not in the alphabet
    CHECK_FALSE(bech32::decode("pzry9x0s0muk"));                                   // no separator
    CHECK_FALSE(bech32::decode("1pzry9x0s0muk"));                                  // empty hrp
}

TEST_CASE("bech32 round trips arbitrary bytes", "[secret]") {
    for (size_t size : {0, 1, 5, 31, 32, 33, 64}) {
        std::vector<uint8_t> data(size);
        for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 37 + 11);
        auto decoded = bech32::decode(bech32::encode("age", data));
        REQUIRE(decoded);
        CHECK(decoded->hrp == "age");
        CHECK(decoded->data == data);
    }
}

TEST_CASE("HKDF-SHA-256 matches RFC 5869", "[secret]") {
    std::vector<uint8_t> ikm(22, 0x0b);
    std::vector<uint8_t> salt{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    std::string info = "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9";
    CHECK(hex(hkdf_sha256(ikm.data(), ikm.size(), salt.data(), salt.size(), info)) ==
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"); // test case 1
    CHECK(hex(hkdf_sha256(ikm.data(), ikm.size(), nullptr, 0, "")) ==
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"); // test case 3
}

TEST_CASE("keys parse, format and derive recipients like age", "[secret]") {
    Identity identity = parse_identity(kit_identity);
    CHECK(format_identity(identity) == kit_identity);
    CHECK(recipient_of(identity) == kit_recipient);
    CHECK(format_recipient(parse_recipient(kit_recipient)) == kit_recipient);
    auto [secret_key, public_key] = generate_identity();
    CHECK(secret_key.starts_with("AGE-SECRET-KEY-1"));
    CHECK(secret_key.size() == 74);
    CHECK(public_key.size() == 62);
    CHECK(recipient_of(parse_identity(secret_key)) == public_key);

    std::string lower = kit_identity;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    CHECK(input_error([&] { parse_identity(lower); }).find("malformed identity") != std::string::npos);
    CHECK(input_error([&] { parse_identity(kit_recipient); }).find("AGE-SECRET-KEY-1") != std::string::npos);
    std::string bad = kit_recipient;
    bad.back() = bad.back() == 'q' ? 'p' : 'q';
    CHECK(input_error([&] { parse_recipient(bad); }).find("expected an age X25519 recipient") != std::string::npos);
    CHECK_THROWS_AS(parse_recipient(kit_identity), Error);
}

TEST_CASE("identity files skip comments and blank lines and name bad lines", "[secret]") {
    auto [secret_key, public_key] = generate_identity();
    std::string text = "# created: now\n# public key: " + public_key + "\n\n" + kit_identity + "\r\n  " + secret_key + "\n";
    std::vector<Identity> identities = parse_identity_file(text, "keys.txt");
    REQUIRE(identities.size() == 2);
    CHECK(recipient_of(identities[0]) == kit_recipient);
    CHECK(recipient_of(identities[1]) == public_key);
    std::string error = input_error([] { parse_identity_file("# one\nAGE-SECRET-KEY-1NOPE\n", "keys.txt"); });
    CHECK(error.starts_with("keys.txt:2: malformed identity"));
    CHECK(error.find("NOPE") == std::string::npos); // never echo what may be a secret
    CHECK(input_error([] { parse_identity_file("# nothing\n\n", "keys.txt"); }) == "keys.txt: no identities found");
    CHECK(parse_recipients_file("# r\n" + kit_recipient + "\n", "r.txt").size() == 1);
}

TEST_CASE("the age test kit's armored file decrypts, header MAC and all", "[secret]") {
    CHECK(looks_like_age_file(kit_armored));
    CHECK(sha256(decrypt(kit_armored, identities_of(kit_identity))) ==
          "013f54400c82da08037759ada907a8b864e97de81c088a182062c4b5622fd2ab");
    std::string binary = dearmor(kit_armored, "");
    CHECK(looks_like_age_file(binary));
    CHECK(decrypt(binary, identities_of(kit_identity)) == "age");
    ParsedFile parsed = parse_header(binary, "");
    REQUIRE(parsed.header.stanzas.size() == 1);
    CHECK(parsed.header.stanzas[0].type == "X25519");
    CHECK(parsed.header.stanzas[0].args == std::vector<std::string>{"TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc"});
    const std::array<uint8_t, 16> file_key{'Y', 'E', 'L', 'L', 'O', 'W', ' ', 'S', 'U', 'B', 'M', 'A', 'R', 'I', 'N', 'E'};
    CHECK(header_mac(file_key, parsed.header.mac_input) == parsed.header.mac);
    CHECK(format_header_without_mac(parsed.header.stanzas) == parsed.header.mac_input);
}

TEST_CASE("encrypt then decrypt round trips at chunk boundaries", "[secret]") {
    auto [secret_key, public_key] = generate_identity();
    std::vector<Recipient> recipients{parse_recipient(public_key)};
    for (size_t size : {size_t{0}, size_t{1}, chunk_size - 1, chunk_size, chunk_size + 1, 2 * chunk_size, size_t{200 * 1024}}) {
        std::string plaintext = pattern(size);
        for (bool armored : {false, true}) {
            std::string ciphertext = encrypt(plaintext, recipients, armored);
            CHECK(looks_like_age_file(ciphertext));
            CHECK(ciphertext.starts_with(armored ? "-----BEGIN AGE ENCRYPTED FILE-----\n" : "age-encryption.org/v1\n-> X25519 "));
            CHECK(decrypt(ciphertext, identities_of(secret_key)) == plaintext);
        }
    }
    // 16-byte nonce, then one 16-byte tag per 64 KiB chunk; an empty payload is one empty chunk.
    std::string binary = encrypt("", recipients, false);
    CHECK(binary.size() - parse_header(binary, "").header.mac_input.size() - 45 == 16 + 16);
    std::string full = encrypt(pattern(chunk_size), recipients, false);
    CHECK(full.size() - parse_header(full, "").header.mac_input.size() - 45 == 16 + chunk_size + 16);
}

TEST_CASE("several recipients can each decrypt; others cannot", "[secret]") {
    auto [key1, recipient1] = generate_identity();
    auto [key2, recipient2] = generate_identity();
    auto [key3, recipient3] = generate_identity();
    std::string ciphertext = encrypt("tskey-auth-123", {parse_recipient(recipient1), parse_recipient(recipient2)}, true);
    CHECK(decrypt(ciphertext, identities_of(key1)) == "tskey-auth-123");
    CHECK(decrypt(ciphertext, identities_of(key2)) == "tskey-auth-123");
    CHECK(decrypt(ciphertext, {parse_identity(key3), parse_identity(key2)}) == "tskey-auth-123");
    CHECK(input_error([&] { decrypt(ciphertext, identities_of(key3), "tailscale.age"); }) ==
          "tailscale.age: no identity matches any recipient of this file");
    CHECK(encrypt("x", {parse_recipient(recipient1)}, false) != encrypt("x", {parse_recipient(recipient1)}, false));
}

TEST_CASE("tampered, truncated and foreign files fail without plaintext", "[secret]") {
    auto [secret_key, public_key] = generate_identity();
    std::vector<Identity> identities = identities_of(secret_key);
    std::string plaintext = pattern(200 * 1024);
    std::string file = encrypt(plaintext, {parse_recipient(public_key)}, false);
    size_t header_size = parse_header(file, "").header.mac_input.size() + 45;

    std::string bad_mac = file;
    bad_mac[header_size - 3] = bad_mac[header_size - 3] == 'A' ? 'B' : 'A';
    CHECK(input_error([&] { decrypt(bad_mac, identities, "f.age"); }).starts_with("f.age: authentication failed"));
    std::string bad_stanza_arg = file;
    bad_stanza_arg.insert(bad_stanza_arg.find("\n", 22), " extra");
    CHECK(input_error([&] { decrypt(bad_stanza_arg, identities); }).find("invalid X25519 stanza") != std::string::npos);
    std::string bad_payload = file;
    bad_payload[header_size + 16 + 70000] ^= 0x01;
    CHECK(input_error([&] { decrypt(bad_payload, identities, "f.age"); }) ==
          "f.age: authentication failed: the file was tampered with or is corrupt");
    // 200 KiB is three full chunks and a short one; drop the short one.
    std::string dropped = file.substr(0, header_size + 16 + 3 * (chunk_size + 16));
    CHECK(input_error([&] { decrypt(dropped, identities, "f.age"); }) == "f.age: the file is truncated");
    CHECK(input_error([&] { decrypt(file.substr(0, header_size + 10), identities); }) == "the file is truncated");
    CHECK(input_error([&] { decrypt(file.substr(0, file.size() - 1), identities); }).starts_with("authentication failed"));
    CHECK(input_error([&] { decrypt(file + "x", identities); }).starts_with("authentication failed"));
    CHECK(input_error([&] { decrypt(file.substr(0, 40), identities); }).find("truncated") != std::string::npos);
    CHECK(input_error([&] { decrypt("tskey-auth-plain", identities, "k"); }) == "k: not an age file");
    CHECK_FALSE(looks_like_age_file("tskey-auth-plain"));
    CHECK_FALSE(looks_like_age_file("age-encryption.org/v2\n"));
    CHECK(input_error([&] { decrypt("age-encryption.org/v2\n", identities); }).find("unsupported") != std::string::npos);
}

TEST_CASE("armor is strict about its lines", "[secret]") {
    auto [secret_key, public_key] = generate_identity();
    std::string armored = encrypt(pattern(100), {parse_recipient(public_key)}, true);
    // Blank lines before and whitespace after are fine, as in age; blanks on the BEGIN line are
    // not.
    CHECK(decrypt("\n  \t\n" + armored + "\n  \n", identities_of(secret_key)) == pattern(100));
    CHECK(input_error([&] {
              decrypt("  " + armored, identities_of(secret_key));
          }).find("first line") != std::string::npos);
    std::string no_end = armored.substr(0, armored.find("-----END"));
    CHECK(input_error([&] { decrypt(no_end, identities_of(secret_key)); }).find("truncated") != std::string::npos);
    CHECK(input_error([&] { decrypt(armored + "garbage\n", identities_of(secret_key)); }).find("invalid armor") !=
          std::string::npos);
    std::string joined = armored;
    joined.erase(joined.find('\n', 40), 1); // a line longer than 64 columns
    CHECK(input_error([&] { decrypt(joined, identities_of(secret_key)); }).find("64 columns") != std::string::npos);
}
