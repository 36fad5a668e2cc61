#pragma once
// lethe-metadata's one error type: main() prints it as
// "lethe-metadata: error: ..." and exits 1. Its own, not lethe::Error, so the
// static helper needs neither fmt nor the builder's library.

#include <stdexcept>
#include <string>

namespace lethe::metadata {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A failure worth another attempt: no route, refused, timed out, HTTP 5xx.
class TransientError : public Error {
public:
    using Error::Error;
};

} // namespace lethe::metadata
