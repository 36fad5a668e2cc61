#pragma once
// One HTTP GET over a socket, with timeouts, retried while the network comes
// up (see http.hpp for why lethe carries its own client).

#include "http.hpp"

#include <functional>
#include <string>

namespace lethe::metadata {

struct FetchOptions {
    int attempts = 12;
    int connect_timeout_ms = 3000;
    int read_timeout_ms = 10000;
    int pause_ms = 2000;           // between attempts: 12 attempts take at most about a minute
    size_t max_bytes = 1024 * 1024; // metadata documents are a few KiB
};

// The body of a 200 response. Connection failures, timeouts and HTTP 5xx
// are retried; any other status, or the last failure, throws Error. `log`
// hears about each failed attempt.
std::string fetch(const Url& url, const FetchOptions& options, const std::function<void(const std::string&)>& log);

} // namespace lethe::metadata
