#include "secret/age.hpp"

#include "secret/armor.hpp"
#include "secret/header.hpp"
#include "secret/primitives.hpp"
#include "secret/stream.hpp"
#include "util/error.hpp"

#include <sodium.h>

#include <algorithm>
#include <optional>

namespace lethe::secret {
namespace {

using FileKey = std::array<uint8_t, 16>;
using Key32 = std::array<uint8_t, 32>;

constexpr std::string_view x25519_label = "age-encryption.org/v1/X25519";
constexpr size_t wrapped_key_size = 16 + crypto_aead_chacha20poly1305_ietf_ABYTES;

std::string where(std::string_view origin) { return origin.empty() ? "" : std::string(origin) + ": "; }

// The key that wraps the file key for one stanza: HKDF(shared, share || recipient).
Key32 wrap_key(const Key32& shared, const Key32& share, const Key32& recipient) {
    std::array<uint8_t, 64> salt{};
    std::copy(share.begin(), share.end(), salt.begin());
    std::copy(recipient.begin(), recipient.end(), salt.begin() + 32);
    return hkdf_sha256(shared.data(), shared.size(), salt.data(), salt.size(), x25519_label);
}

Stanza wrap_for(const FileKey& file_key, const Recipient& recipient) {
    Key32 ephemeral{}, share{}, shared{};
    Wipe wipe_ephemeral(ephemeral), wipe_shared(shared);
    randombytes_buf(ephemeral.data(), ephemeral.size());
    crypto_scalarmult_base(share.data(), ephemeral.data());
    // libsodium refuses a low-order point, whose shared secret is all zeros.
    if (crypto_scalarmult(shared.data(), ephemeral.data(), recipient.public_key.data()) != 0) {
        fail_input("recipient {} is not a usable X25519 public key", format_recipient(recipient));
    }
    Key32 key = wrap_key(shared, share, recipient.public_key);
    Wipe wipe_key(key);
    Stanza stanza{"X25519", {base64_raw(share.data(), share.size())}, Bytes(wrapped_key_size)};
    const std::array<uint8_t, 12> zero_nonce{}; // each wrap key is used once
    crypto_aead_chacha20poly1305_ietf_encrypt(stanza.body.data(), nullptr, file_key.data(), file_key.size(), nullptr,
                                              0, nullptr, zero_nonce.data(), key.data());
    return stanza;
}

// The file key if `identity` opens `stanza`; fail_input if the stanza is malformed.
std::optional<FileKey> unwrap(const Stanza& stanza, const Identity& identity, std::string_view origin) {
    Bytes share;
    if (stanza.args.size() != 1 || !base64_decode(stanza.args[0], false, share) || share.size() != 32 ||
        stanza.body.size() != wrapped_key_size) {
        fail_input("{}malformed age header: invalid X25519 stanza", where(origin));
    }
    Key32 share_key{}, shared{}, recipient{};
    Wipe wipe_shared(shared);
    std::copy(share.begin(), share.end(), share_key.begin());
    if (crypto_scalarmult(shared.data(), identity.secret.data(), share_key.data()) != 0) {
        fail_input("{}malformed age header: an X25519 stanza has a low-order share", where(origin));
    }
    crypto_scalarmult_base(recipient.data(), identity.secret.data());
    Key32 key = wrap_key(shared, share_key, recipient);
    Wipe wipe_key(key);
    FileKey file_key{};
    const std::array<uint8_t, 12> zero_nonce{};
    if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key.data(), nullptr, nullptr, stanza.body.data(),
                                                  stanza.body.size(), nullptr, 0, zero_nonce.data(), key.data()) != 0) {
        return std::nullopt; // this stanza is for someone else
    }
    return file_key;
}

FileKey find_file_key(const Header& header, const std::vector<Identity>& identities, std::string_view origin) {
    for (const Stanza& stanza : header.stanzas) {
        if (stanza.type != "X25519") continue; // other recipient types, or grease
        for (const Identity& identity : identities) {
            if (auto file_key = unwrap(stanza, identity, origin)) return *file_key;
        }
    }
    fail_input("{}no identity matches any recipient of this file", where(origin));
}

} // namespace

std::string encrypt(std::string_view plaintext, const std::vector<Recipient>& recipients, bool armored) {
    if (recipients.empty()) fail_input("no recipients to encrypt to");
    ensure_sodium();
    FileKey file_key{};
    Wipe wipe_file_key(file_key);
    randombytes_buf(file_key.data(), file_key.size());
    std::vector<Stanza> stanzas;
    for (const Recipient& recipient : recipients) stanzas.push_back(wrap_for(file_key, recipient));
    std::string header = format_header_without_mac(stanzas);
    Key32 mac = header_mac(file_key, header);
    std::string file = header + " " + base64_raw(mac.data(), mac.size()) + "\n" + seal_payload(file_key, plaintext);
    return armored ? armor(file) : file;
}

std::string decrypt(std::string_view ciphertext, const std::vector<Identity>& identities, std::string_view origin) {
    // Any "age-encryption.org/" line goes on to the header parser, which names an unsupported version.
    if (!ciphertext.starts_with("age-encryption.org/") && !is_armored(ciphertext)) fail_input("{}not an age file", where(origin));
    if (identities.empty()) fail_input("no identities to decrypt with");
    std::string dearmored;
    if (is_armored(ciphertext)) {
        dearmored = dearmor(ciphertext, origin);
        ciphertext = dearmored;
    }
    ParsedFile parsed = parse_header(ciphertext, origin);
    FileKey file_key = find_file_key(parsed.header, identities, origin);
    Wipe wipe_file_key(file_key);
    Key32 mac = header_mac(file_key, parsed.header.mac_input);
    if (crypto_verify_32(mac.data(), parsed.header.mac.data()) != 0) {
        fail_input("{}authentication failed: the file was tampered with or is corrupt (header MAC mismatch)",
                   where(origin));
    }
    return open_payload(file_key, parsed.payload, origin);
}

bool looks_like_age_file(std::string_view bytes) {
    return bytes.starts_with(std::string(version_line) + "\n") || is_armored(bytes);
}

} // namespace lethe::secret
