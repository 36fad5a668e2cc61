#pragma once
// age's payload: a 16-byte nonce, then the plaintext in 64 KiB chunks, each
// sealed with ChaCha20-Poly1305 under HKDF(file key, nonce, "payload") and a
// nonce of an 11-byte big-endian chunk counter and a last-chunk flag byte
// (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lethe::secret {

inline constexpr size_t chunk_size = 64 * 1024;

// The payload, nonce included, for `plaintext`; the nonce is random.
std::string seal_payload(const std::array<uint8_t, 16>& file_key, std::string_view plaintext);

// The whole plaintext, or fail_input naming `origin`: nothing is returned
// unless every chunk, and the end of the stream, authenticates.
std::string open_payload(const std::array<uint8_t, 16>& file_key, std::string_view payload, std::string_view origin);

} // namespace lethe::secret
