#pragma once
// age X25519 keys: identities ("AGE-SECRET-KEY-1...", the secret half) and
// recipients ("age1...", the public half), and the files that hold them.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lethe::secret {

struct Identity {
    std::array<uint8_t, 32> secret{};
    ~Identity(); // wipes the key
};

struct Recipient {
    std::array<uint8_t, 32> public_key{};
};

// A new identity and its recipient: {"AGE-SECRET-KEY-1...", "age1..."}.
std::pair<std::string, std::string> generate_identity();

Identity parse_identity(std::string_view text);
Recipient parse_recipient(std::string_view text);
std::string format_identity(const Identity& identity);
std::string format_recipient(const Recipient& recipient);
std::string recipient_of(const Identity& identity);

// An identity file as `age -i` reads it: one identity a line, '#' comments
// and blank lines ignored. `origin` names the file in errors.
std::vector<Identity> parse_identity_file(std::string_view text, const std::string& origin);

// A recipients file as `age -R` reads it, same rules.
std::vector<Recipient> parse_recipients_file(std::string_view text, const std::string& origin);

} // namespace lethe::secret
