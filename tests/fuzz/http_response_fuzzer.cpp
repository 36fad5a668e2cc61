// lethe-metadata's HTTP/1.0 response parser and its URL parser.

#include "fuzz_support.hpp"
#include "metadata/error.hpp"
#include "metadata/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text = lethe::fuzz::text_of(data, size);
    try {
        auto response = lethe::metadata::parse_http_response(text);
        lethe::fuzz::require(response.status >= 0 && response.status <= 999,
                             "an HTTP status beyond three digits");
        lethe::fuzz::require(response.body.size() <= text.size(),
                             "a body longer than the response");
    } catch (const lethe::metadata::Error&) {
    }
    try {
        auto url = lethe::metadata::parse_url(text);
        std::string request = lethe::metadata::http_request(url);
        // The request ends at its one blank line: nothing from the URL may add lines.
        lethe::fuzz::require(request.find("\r\n\r\n") == request.size() - 4,
                             "a URL that injects request lines");
    } catch (const lethe::metadata::Error&) {
    }
    return 0;
}
