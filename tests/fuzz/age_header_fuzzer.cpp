// The age header parser, then the whole decryption with a fixed identity
// (stanza arguments and bodies, the MAC, the payload's chunks), and the same
// bytes as an identity file and a recipients file. All are strict: whatever
// they accept must be the one canonical encoding of what they read, or a
// file could be altered without changing its meaning.

#include "fuzz_support.hpp"
#include "secret/age.hpp"
#include "secret/header.hpp"
#include "secret/keys.hpp"
#include "secret/primitives.hpp"
#include "util/error.hpp"

namespace {

void check_canonical(std::string_view file) {
    using namespace lethe::secret;
    ParsedFile parsed = parse_header(file, "fuzz");
    const Header& header = parsed.header;
    lethe::fuzz::require(header.mac_input == format_header_without_mac(header.stanzas),
                         "an accepted header is not in its canonical form");
    std::string mac_line = " " + base64_raw(header.mac.data(), header.mac.size()) + "\n";
    lethe::fuzz::require(file.substr(header.mac_input.size(), mac_line.size()) == mac_line,
                         "an accepted MAC line is not canonical");
    lethe::fuzz::require(header.mac_input.size() + mac_line.size() + parsed.payload.size() ==
                             file.size(),
                         "header and payload do not add up to the file");
}

// Every key line accepted is the canonical spelling of its key.
void check_keys(std::string_view file) {
    using namespace lethe::secret;
    try {
        for (const Recipient& r : parse_recipients_file(file, "fuzz"))
            lethe::fuzz::require(file.find(format_recipient(r)) != std::string_view::npos,
                                 "an accepted recipient is not spelled canonically");
    } catch (const lethe::Error&) {
    }
    try {
        for (const Identity& i : parse_identity_file(file, "fuzz"))
            lethe::fuzz::require(file.find(format_identity(i)) != std::string_view::npos,
                                 "an accepted identity is not spelled canonically");
    } catch (const lethe::Error&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string file = lethe::fuzz::text_of(data, size);
    try {
        check_canonical(file);
    } catch (const lethe::Error& e) {
        lethe::fuzz::require(e.code() == lethe::ExitCode::bad_input,
                             "a header error is not bad input");
    }
    static const std::vector<lethe::secret::Identity> identities = [] {
        std::vector<lethe::secret::Identity> list(1);
        list[0].secret.fill(0x42);
        return list;
    }();
    try {
        lethe::secret::decrypt(file, identities, "fuzz");
    } catch (const lethe::Error& e) {
        lethe::fuzz::require(e.code() == lethe::ExitCode::bad_input,
                             "a decryption error is not bad input");
    }
    check_keys(file);
    return 0;
}
