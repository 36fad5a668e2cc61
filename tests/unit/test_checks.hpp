#pragma once
// Catch2 helpers many tests share: the message of a bad-input error, and a
// text with one part replaced.

#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace lethe::test {

// The message of the lethe::Error `run` throws, which must be bad input (exit status 2).
template <typename F> std::string input_error(F run) {
    try {
        run();
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        return e.what();
    }
    FAIL("no error was thrown");
    return {};
}

// `text` with the first `from` replaced by `to`, which must be there.
inline std::string replace(std::string text, const std::string& from, const std::string& to) {
    auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    return text.replace(pos, from.size(), to);
}

} // namespace lethe::test
