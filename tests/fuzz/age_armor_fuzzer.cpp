// age's ASCII armor. Two properties: dearmor(armor(x)) == x for any bytes,
// and whatever dearmor accepts is the canonical armor of its result, give or
// take the whitespace around the block and CRLF line ends, which age allows.

#include "fuzz_support.hpp"
#include "secret/armor.hpp"
#include "util/error.hpp"

namespace {

// The armor as age writes it: no whitespace around the block, LF line ends.
std::string canonical(std::string_view text) {
    const std::string_view space = " \t\r\n\v\f";
    size_t start = text.find_first_not_of(space);
    if (start == std::string_view::npos) return "";
    text = text.substr(start, text.find_last_not_of(space) - start + 1);
    std::string out;
    for (size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) out += text[i];
    return out + "\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input = lethe::fuzz::text_of(data, size);
    lethe::fuzz::require(lethe::secret::dearmor(lethe::secret::armor(input), "") == input,
                         "dearmor(armor(x)) != x");
    try {
        std::string binary = lethe::secret::dearmor(input, "fuzz");
        lethe::fuzz::require(lethe::secret::armor(binary) == canonical(input),
                             "accepted armor that is not the canonical armor of its content");
    } catch (const lethe::Error& e) {
        lethe::fuzz::require(e.code() == lethe::ExitCode::bad_input,
                             "an armor error is not bad input");
    }
    return 0;
}
