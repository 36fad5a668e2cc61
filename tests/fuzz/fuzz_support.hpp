#pragma once
// What every harness needs: the input as text, and invariants that stop the
// fuzzer like a crash when they fail (libFuzzer then keeps the input).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace lethe::fuzz {

inline std::string text_of(const uint8_t* data, size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

// abort() rather than an exception: the parsers' own errors are caught by
// the harnesses, an invariant that fails is a finding.
inline void require(bool condition, const char* what) {
    if (condition) return;
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
}

} // namespace lethe::fuzz
