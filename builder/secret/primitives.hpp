#pragma once
// The few cryptographic building blocks the age format is made of, on top of
// libsodium: HKDF-SHA-256, base64 in age's two flavours, and a guard that
// wipes key material when it goes out of scope.

#include <sodium.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::secret {

using Bytes = std::vector<uint8_t>;

// Initialises libsodium once; every entry point that needs randomness calls it.
void ensure_sodium();

// Wipes a buffer when the scope ends, whichever way it ends.
class Wipe {
public:
    Wipe(void* data, size_t size) : data_(data), size_(size) {}
    template <typename T, size_t N> explicit Wipe(std::array<T, N>& a) : Wipe(a.data(), sizeof(T) * N) {}
    explicit Wipe(Bytes& b) : data_(&b), size_(0), vector_(true) {}
    explicit Wipe(std::string& s) : data_(&s), size_(0), string_(true) {}
    ~Wipe();
    Wipe(const Wipe&) = delete;
    Wipe& operator=(const Wipe&) = delete;

private:
    void* data_;
    size_t size_;
    bool vector_ = false;
    bool string_ = false;
};

// HKDF-SHA-256 (RFC 5869): Extract then Expand, both HMAC-SHA-256.
// libsodium 1.0.18 has HMAC-SHA-256 but not HKDF.
std::array<uint8_t, 32> hkdf_sha256(const uint8_t* ikm, size_t ikm_size, const uint8_t* salt, size_t salt_size,
                                    std::string_view info);

std::array<uint8_t, 32> hmac_sha256(const uint8_t* key, size_t key_size, std::string_view message);

// Standard base64 without padding, as age uses in headers and stanzas.
std::string base64_raw(const uint8_t* data, size_t size);
// Standard base64 with padding, as in the ASCII armor.
std::string base64_padded(const uint8_t* data, size_t size);
// Strict decoding: the exact alphabet, no whitespace, canonical trailing bits.
// Returns false on any deviation; `padded` selects the flavour.
bool base64_decode(std::string_view text, bool padded, Bytes& out);

} // namespace lethe::secret
