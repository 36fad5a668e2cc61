#include "secret/primitives.hpp"

#include "util/error.hpp"

#include <string>

namespace lethe::secret {

void ensure_sodium() {
    if (sodium_init() < 0) fail("cannot initialise libsodium");
}

Wipe::~Wipe() {
    if (vector_) {
        auto* v = static_cast<Bytes*>(data_);
        sodium_memzero(v->data(), v->size());
    } else if (string_) {
        auto* s = static_cast<std::string*>(data_);
        sodium_memzero(s->data(), s->size());
    } else {
        sodium_memzero(data_, size_);
    }
}

std::array<uint8_t, 32> hmac_sha256(const uint8_t* key, size_t key_size, std::string_view message) {
    static const uint8_t no_key = 0; // libsodium memcpy()s the key, even an empty one
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key_size == 0 ? &no_key : key, key_size);
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const uint8_t*>(message.data()), message.size());
    std::array<uint8_t, 32> mac{};
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    return mac;
}

std::array<uint8_t, 32> hkdf_sha256(const uint8_t* ikm, size_t ikm_size, const uint8_t* salt, size_t salt_size,
                                    std::string_view info) {
    // Extract: PRK = HMAC(salt, IKM). An empty salt is an empty HMAC key,
    // which HMAC pads to the same zero block RFC 5869 asks for.
    std::array<uint8_t, 32> prk = hmac_sha256(salt, salt_size, {reinterpret_cast<const char*>(ikm), ikm_size});
    Wipe wipe_prk(prk);
    // Expand for one block: T(1) = HMAC(PRK, info || 0x01); age only ever
    // asks for 32 bytes, exactly one SHA-256 output.
    std::string block(info);
    block.push_back('\x01');
    return hmac_sha256(prk.data(), prk.size(), block);
}

std::string base64_raw(const uint8_t* data, size_t size) {
    std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    out.resize(out.size() - 1); // the terminating NUL
    return out;
}

std::string base64_padded(const uint8_t* data, size_t size) {
    std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1);
    return out;
}

bool base64_decode(std::string_view text, bool padded, Bytes& out) {
    // libsodium 1.0.18 decodes some bytes above 127 as if they were letters
    // ("\xcd\xcb\x96\x8f" as "////", found by fuzzing): only the alphabet passes.
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    if (text.find_first_not_of(padded ? alphabet : alphabet.substr(0, 64)) !=
        std::string_view::npos)
        return false;
    out.assign(text.size() / 4 * 3 + 3, 0);
    size_t size = 0;
    const char* end = nullptr;
    int variant = padded ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    // libsodium rejects non-zero leftover bits, so only canonical text decodes.
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &size, &end, variant) != 0 ||
        end != text.data() + text.size()) {
        return false;
    }
    out.resize(size);
    return true;
}

} // namespace lethe::secret
