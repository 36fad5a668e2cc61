#include "secret/stream.hpp"

#include "secret/primitives.hpp"
#include "util/error.hpp"

#include <sodium.h>

namespace lethe::secret {
namespace {

constexpr size_t nonce_size = 16;
constexpr size_t tag_size = crypto_aead_chacha20poly1305_ietf_ABYTES;
constexpr size_t sealed_chunk_size = chunk_size + tag_size;

using ChunkNonce = std::array<uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES>;

ChunkNonce chunk_nonce(uint64_t counter, bool last) {
    ChunkNonce nonce{};
    // Bytes 0..10 are the big-endian counter; 64 bits of it are plenty.
    for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<uint8_t>(counter >> (8 * i));
    nonce[11] = last ? 1 : 0;
    return nonce;
}

std::array<uint8_t, 32> payload_key(const std::array<uint8_t, 16>& file_key, const uint8_t* nonce) {
    return hkdf_sha256(file_key.data(), file_key.size(), nonce, nonce_size, "payload");
}

std::string where(std::string_view origin) { return origin.empty() ? "" : std::string(origin) + ": "; }

[[noreturn]] void tampered(std::string_view origin) {
    fail_input("{}authentication failed: the file was tampered with or is corrupt", where(origin));
}

[[noreturn]] void truncated(std::string_view origin) { fail_input("{}the file is truncated", where(origin)); }

bool open_chunk(const std::array<uint8_t, 32>& key, std::string_view sealed, uint64_t counter, bool last,
                uint8_t* out) {
    ChunkNonce nonce = chunk_nonce(counter, last);
    return crypto_aead_chacha20poly1305_ietf_decrypt(out, nullptr, nullptr,
                                                     reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size(),
                                                     nullptr, 0, nonce.data(), key.data()) == 0;
}

} // namespace

std::string seal_payload(const std::array<uint8_t, 16>& file_key, std::string_view plaintext) {
    ensure_sodium();
    size_t chunks = plaintext.empty() ? 1 : (plaintext.size() + chunk_size - 1) / chunk_size;
    std::string out(nonce_size + plaintext.size() + chunks * tag_size, '\0');
    auto* dest = reinterpret_cast<uint8_t*>(out.data());
    randombytes_buf(dest, nonce_size);
    std::array<uint8_t, 32> key = payload_key(file_key, dest);
    Wipe wipe_key(key);
    dest += nonce_size;
    for (size_t i = 0; i < chunks; ++i) {
        std::string_view chunk = plaintext.substr(i * chunk_size, chunk_size);
        ChunkNonce nonce = chunk_nonce(i, i + 1 == chunks);
        unsigned long long sealed = 0;
        crypto_aead_chacha20poly1305_ietf_encrypt(dest, &sealed, reinterpret_cast<const uint8_t*>(chunk.data()),
                                                  chunk.size(), nullptr, 0, nullptr, nonce.data(), key.data());
        dest += sealed;
    }
    return out;
}

std::string open_payload(const std::array<uint8_t, 16>& file_key, std::string_view payload, std::string_view origin) {
    if (payload.size() < nonce_size) truncated(origin);
    std::array<uint8_t, 32> key = payload_key(file_key, reinterpret_cast<const uint8_t*>(payload.data()));
    Wipe wipe_key(key);
    payload.remove_prefix(nonce_size);
    std::string plaintext;
    plaintext.reserve(payload.size()); // no reallocation: no unwiped copies left behind
    try {
        for (uint64_t counter = 0;; ++counter) {
            if (payload.size() < tag_size) truncated(origin);
            std::string_view sealed = payload.substr(0, sealed_chunk_size);
            payload.remove_prefix(sealed.size());
            size_t offset = plaintext.size();
            plaintext.resize(offset + sealed.size() - tag_size);
            auto* out = reinterpret_cast<uint8_t*>(plaintext.data() + offset);
            bool full = sealed.size() == sealed_chunk_size;
            if (payload.empty() && open_chunk(key, sealed, counter, true, out)) {
                // Only an empty payload may end with an empty chunk.
                if (sealed.size() == tag_size && counter != 0) tampered(origin);
                return plaintext;
            }
            if (!full || !open_chunk(key, sealed, counter, false, out)) tampered(origin);
            // A full chunk that is not the last one, with nothing after it.
            if (payload.empty()) truncated(origin);
        }
    } catch (...) {
        sodium_memzero(plaintext.data(), plaintext.size());
        throw;
    }
}

} // namespace lethe::secret
