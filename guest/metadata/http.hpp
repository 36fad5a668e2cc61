#pragma once
// The pure half of a minimal HTTP/1.0 client for link-local metadata
// services: URLs, the request text and the response parser. Why not libcurl:
// Debian ships no static libcurl with static builds of its dependencies, the
// helper must be static (it runs on any rootfs), and all it needs is one GET
// of a small document from an IPv4 address on the local link.

#include <cstdint>
#include <string>

namespace lethe::metadata {

struct Url {
    std::string host; // an IPv4 address: no DNS on a link-local service
    uint16_t port = 80;
    std::string path; // starts with '/'
};

// "http://169.254.169.254/hetzner/v1/metadata"; throws Error for anything
// else (https, a host name, a bad port).
Url parse_url(const std::string& text);

// GET with Connection: close, HTTP/1.0 so the server sends no chunked body.
std::string http_request(const Url& url);

struct HttpResponse {
    int status = 0;
    std::string body;
};

// Parses a whole response read until the server closed the connection.
// The body is Content-Length bytes when the header is there (a shorter one
// is an error: the connection broke), else everything after the headers.
// Throws Error for a malformed status line or headers, or a chunked body.
HttpResponse parse_http_response(const std::string& raw);

} // namespace lethe::metadata
