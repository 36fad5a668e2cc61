#pragma once
// Encryption and decryption in the age v1 format (https://age-encryption.org/v1)
// to X25519 recipients, interoperable with age, rage and sops. Pure functions
// on bytes; the files are the caller's business.

#include "secret/keys.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lethe::secret {

// An age file for `plaintext`, readable by any of `recipients`; ASCII-armored
// if `armor`. A fresh random file key and nonce every time.
std::string encrypt(std::string_view plaintext, const std::vector<Recipient>& recipients, bool armor);

// The plaintext of an age file, armored or binary. Checks the header MAC
// before the payload and returns nothing unless the whole file authenticates;
// fail_input otherwise ("not an age file", "no identity matches any recipient
// of this file", "the file is truncated", "authentication failed: ..."),
// prefixed with `origin` when it is not empty.
std::string decrypt(std::string_view ciphertext, const std::vector<Identity>& identities,
                    std::string_view origin = {});

// Whether `bytes` begin like an age file (binary or armored); the builder
// uses this to refuse a secret that was never encrypted.
bool looks_like_age_file(std::string_view bytes);

} // namespace lethe::secret
