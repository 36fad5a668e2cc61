#include "secret/keys.hpp"

#include "secret/bech32.hpp"
#include "secret/primitives.hpp"
#include "util/error.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>

namespace lethe::secret {
namespace {

// age writes identities upper case and recipients lower case, and reads
// them only that way.
constexpr std::string_view identity_hrp = "AGE-SECRET-KEY-";
constexpr std::string_view recipient_hrp = "age";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Calls `on_line(line, number)` for every line that is not blank or a comment.
template <typename F> void for_each_key_line(std::string_view text, F on_line) {
    size_t number = 0;
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line = trim(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++number;
        if (!line.empty() && line.front() != '#') on_line(line, number);
    }
}

// Whether `text` may be an identity, however mangled: such text is a secret
// and never goes into a message.
bool may_be_identity(std::string_view text) {
    std::string upper(text);
    Wipe wipe_upper(upper);
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper.find("SECRET") != std::string::npos ||
           upper.find("AGE-PLUGIN-") != std::string::npos;
}

[[noreturn]] void malformed_recipient(std::string_view text) {
    const char* expected = "expected an age X25519 recipient, 'age1' and 58 more characters";
    if (may_be_identity(text))
        fail_input(
            "an identity (a secret key) was given where a recipient is expected: give its "
            "recipient (age1..., which `age-keygen -y` prints) instead, and keep the identity to "
            "yourself");
    // Only what looks like a recipient attempt is quoted back, and not all of it.
    if (!text.starts_with("age1")) fail_input("malformed recipient: {}", expected);
    fail_input("malformed recipient '{}': {}", text.substr(0, 80), expected);
}

} // namespace

Identity::~Identity() { sodium_memzero(secret.data(), secret.size()); }

std::pair<std::string, std::string> generate_identity() {
    ensure_sodium();
    Identity identity;
    randombytes_buf(identity.secret.data(), identity.secret.size());
    return {format_identity(identity), recipient_of(identity)};
}

Identity parse_identity(std::string_view text) {
    auto decoded = bech32::decode(text);
    Identity identity;
    if (!decoded || decoded->hrp != identity_hrp || decoded->data.size() != identity.secret.size()) {
        if (decoded) sodium_memzero(decoded->data.data(), decoded->data.size());
        // Never echo the text: it may be a mistyped secret key.
        fail_input("malformed identity: expected an age X25519 identity, 'AGE-SECRET-KEY-1' and 58 more characters");
    }
    std::copy(decoded->data.begin(), decoded->data.end(), identity.secret.begin());
    sodium_memzero(decoded->data.data(), decoded->data.size());
    return identity;
}

Recipient parse_recipient(std::string_view text) {
    auto decoded = bech32::decode(text);
    Recipient recipient;
    if (!decoded || decoded->hrp != recipient_hrp ||
        decoded->data.size() != recipient.public_key.size())
        malformed_recipient(text);
    std::copy(decoded->data.begin(), decoded->data.end(), recipient.public_key.begin());
    return recipient;
}

std::string format_identity(const Identity& identity) {
    Bytes data(identity.secret.begin(), identity.secret.end());
    Wipe wipe_data(data);
    std::string text = bech32::encode(identity_hrp, data);
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

std::string format_recipient(const Recipient& recipient) {
    return bech32::encode(recipient_hrp, Bytes(recipient.public_key.begin(), recipient.public_key.end()));
}

std::string recipient_of(const Identity& identity) {
    Recipient recipient;
    crypto_scalarmult_base(recipient.public_key.data(), identity.secret.data());
    return format_recipient(recipient);
}

std::vector<Identity> parse_identity_file(std::string_view text, const std::string& origin) {
    std::vector<Identity> identities;
    for_each_key_line(text, [&](std::string_view line, size_t number) {
        try {
            identities.push_back(parse_identity(line));
        } catch (const Error& e) {
            fail_input("{}:{}: {}", origin, number, e.what());
        }
    });
    if (identities.empty()) fail_input("{}: no identities found", origin);
    return identities;
}

std::vector<Recipient> parse_recipients_file(std::string_view text, const std::string& origin) {
    std::vector<Recipient> recipients;
    for_each_key_line(text, [&](std::string_view line, size_t number) {
        try {
            recipients.push_back(parse_recipient(line));
        } catch (const Error& e) {
            fail_input("{}:{}: {}", origin, number, e.what());
        }
    });
    if (recipients.empty()) fail_input("{}: no recipients found", origin);
    return recipients;
}

} // namespace lethe::secret
