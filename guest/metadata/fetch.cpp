#include "fetch.hpp"

#include "error.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace lethe::metadata {
namespace {

class Socket {
public:
    Socket() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {
        if (fd_ < 0) throw Error(std::string("cannot create a socket: ") + std::strerror(errno));
    }
    ~Socket() { close(fd_); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

std::string where(const Url& url) { return url.host + ":" + std::to_string(url.port); }

// Waits for `events`; false on a timeout.
bool wait_for(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    for (;;) {
        int n = poll(&p, 1, timeout_ms);
        if (n >= 0) return n > 0;
        if (errno != EINTR) throw TransientError(std::string("poll: ") + std::strerror(errno));
    }
}

void connect_to(const Socket& s, const Url& url, int timeout_ms) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(url.port);
    inet_pton(AF_INET, url.host.c_str(), &address.sin_addr);
    if (connect(s.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return;
    if (errno != EINPROGRESS)
        throw TransientError("cannot connect to " + where(url) + ": " + std::strerror(errno));
    if (!wait_for(s.fd(), POLLOUT, timeout_ms))
        throw TransientError("cannot connect to " + where(url) + ": no answer within " +
                             std::to_string(timeout_ms) + " ms");
    int err = 0;
    socklen_t size = sizeof err;
    getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &size);
    if (err != 0) throw TransientError("cannot connect to " + where(url) + ": " + std::strerror(err));
}

void send_all(const Socket& s, const Url& url, const std::string& data, int timeout_ms) {
    for (size_t sent = 0; sent < data.size();) {
        if (!wait_for(s.fd(), POLLOUT, timeout_ms)) throw TransientError("sending to " + where(url) + " timed out");
        ssize_t n = send(s.fd(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            throw TransientError("cannot send to " + where(url) + ": " + std::strerror(errno));
        if (n > 0) sent += static_cast<size_t>(n);
    }
}

// Everything until the server closes the connection (Connection: close).
std::string receive_all(const Socket& s, const Url& url, const FetchOptions& options) {
    std::string data;
    char buffer[16384];
    for (;;) {
        if (!wait_for(s.fd(), POLLIN, options.read_timeout_ms))
            throw TransientError("no answer from " + where(url) + " within " +
                                 std::to_string(options.read_timeout_ms) + " ms");
        ssize_t n = recv(s.fd(), buffer, sizeof buffer, 0);
        if (n == 0) return data;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            throw TransientError("cannot read from " + where(url) + ": " + std::strerror(errno));
        }
        data.append(buffer, static_cast<size_t>(n));
        if (data.size() > options.max_bytes)
            throw Error("the answer of " + where(url) + " is larger than " + std::to_string(options.max_bytes) +
                        " bytes");
    }
}

std::string get_once(const Url& url, const FetchOptions& options) {
    Socket s;
    connect_to(s, url, options.connect_timeout_ms);
    send_all(s, url, http_request(url), options.read_timeout_ms);
    HttpResponse response = parse_http_response(receive_all(s, url, options));
    std::string what = "GET http://" + where(url) + url.path + ": HTTP " + std::to_string(response.status);
    if (response.status >= 500 || response.status == 429) throw TransientError(what);
    if (response.status != 200) throw Error(what);
    return response.body;
}

void pause(int ms) {
    timespec delay{ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {}
}

} // namespace

std::string fetch(const Url& url, const FetchOptions& options, const std::function<void(const std::string&)>& log) {
    for (int attempt = 1;; ++attempt) {
        try {
            return get_once(url, options);
        } catch (const TransientError& e) {
            if (attempt >= options.attempts)
                throw Error(std::string(e.what()) + " (gave up after " + std::to_string(attempt) + " attempts)");
            log("attempt " + std::to_string(attempt) + "/" + std::to_string(options.attempts) + ": " + e.what());
            pause(options.pause_ms);
        }
    }
}

} // namespace lethe::metadata
