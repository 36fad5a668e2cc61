#include "http.hpp"

#include "error.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace lethe::metadata {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

std::string trim(const std::string& text) {
    size_t begin = text.find_first_not_of(" \t");
    size_t end = text.find_last_not_of(" \t\r");
    return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

bool all_digits(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Content-Length, or -1 when absent; refuses a chunked body.
long long body_length(const std::string& headers) {
    long long length = -1;
    size_t start = 0;
    while (start < headers.size()) {
        size_t end = headers.find("\r\n", start);
        if (end == std::string::npos) end = headers.size();
        std::string line = headers.substr(start, end - start);
        start = end + 2;
        size_t colon = line.find(':');
        if (colon == std::string::npos || colon == 0) throw Error("malformed HTTP header line '" + line + "'");
        std::string name = lower(trim(line.substr(0, colon)));
        std::string value = trim(line.substr(colon + 1));
        if (name == "transfer-encoding" && lower(value) != "identity")
            throw Error("the server sent a '" + value + "' body to an HTTP/1.0 request");
        if (name == "content-length") {
            if (!all_digits(value) || value.size() > 12) throw Error("bad Content-Length '" + value + "'");
            length = std::stoll(value);
        }
    }
    return length;
}

} // namespace

Url parse_url(const std::string& text) {
    // Checked whole, before it is split: inet_pton() stops at a NUL, so
    // "http://10.0.2.2\0\r\nX: y/" would pass as 10.0.2.2 and put a header
    // line of its own into the request (found by fuzzing).
    for (unsigned char c : text)
        if (c <= 0x20 || c == 0x7f) throw Error("the URL has a space or control character");
    const std::string scheme = "http://";
    if (text.rfind(scheme, 0) != 0) throw Error("'" + text + "' is not an http:// URL");
    std::string rest = text.substr(scheme.size());
    size_t slash = rest.find('/');
    Url url;
    url.path = slash == std::string::npos ? "/" : rest.substr(slash);
    std::string authority = rest.substr(0, slash);
    size_t colon = authority.find(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
        std::string port = authority.substr(colon + 1);
        if (!all_digits(port) || port.size() > 5 || std::stoi(port) == 0 || std::stoi(port) > 65535)
            throw Error("'" + text + "' has a bad port");
        url.port = static_cast<uint16_t>(std::stoi(port));
    }
    in_addr address{};
    if (inet_pton(AF_INET, url.host.c_str(), &address) != 1)
        throw Error(
            "'" + text +
            "': the host must be an IPv4 address (metadata services are link-local; no DNS)");
    return url;
}

std::string http_request(const Url& url) {
    std::string host = url.port == 80 ? url.host : url.host + ":" + std::to_string(url.port);
    return "GET " + url.path + " HTTP/1.0\r\nHost: " + host +
           "\r\nUser-Agent: lethe-metadata\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

HttpResponse parse_http_response(const std::string& raw) {
    size_t status_end = raw.find("\r\n");
    if (status_end == std::string::npos) throw Error("the response has no complete status line");
    std::string status_line = raw.substr(0, status_end);
    // "HTTP/1.1 200 OK": version, a space, three digits, then the reason (optional).
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12 || status_line[8] != ' ' ||
        !all_digits(status_line.substr(9, 3)) || (status_line.size() > 12 && status_line[12] != ' '))
        throw Error("not an HTTP status line: '" + status_line.substr(0, 80) + "'");
    HttpResponse response;
    response.status = std::stoi(status_line.substr(9, 3));
    size_t headers_end = raw.find("\r\n\r\n", status_end);
    if (headers_end == std::string::npos) throw Error("the response ended inside its headers");
    std::string headers =
        headers_end == status_end ? "" : raw.substr(status_end + 2, headers_end - status_end - 2);
    long long length = body_length(headers);
    response.body = raw.substr(headers_end + 4);
    if (length >= 0) {
        if (static_cast<unsigned long long>(length) > response.body.size())
            throw Error("the body ended after " + std::to_string(response.body.size()) + " of " +
                        std::to_string(length) + " bytes (Content-Length)");
        response.body.resize(static_cast<size_t>(length));
    }
    return response;
}

} // namespace lethe::metadata
