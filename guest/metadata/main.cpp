// lethe-metadata: applies a cloud's metadata at boot (docs/hetzner.md).
//   lethe-metadata hetzner [--url URL] [--network-file PATH] [--authorized-keys PATH] [--attempts N]
// Fetches URL (the metadata YAML) and writes the server's IPv6 configuration
// to the network file (replaced at every boot), then, only when the
// authorized_keys file does not exist, fetches URL/public-keys and writes
// the keys there (mode 0600, its directory 0700). Exit status 2 for bad
// usage, 1 when the metadata cannot be fetched or either step failed (both
// are tried).

#include "error.hpp"
#include "fetch.hpp"
#include "hetzner.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

using lethe::metadata::Error;

struct Options {
    std::string url = "http://169.254.169.254/hetzner/v1/metadata";
    std::string network_file = "/run/systemd/network/10-lethe-hetzner.network";
    std::string authorized_keys = "/root/.ssh/authorized_keys";
    int attempts = 12;
};

const char* usage = "usage: lethe-metadata hetzner [--url URL] [--network-file PATH] "
                    "[--authorized-keys PATH] [--attempts N]";

void say(const std::string& message) {
    std::printf("lethe-metadata: %s\n", message.c_str());
    std::fflush(stdout);
}

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "lethe-metadata: error: %s\n%s\n", message.c_str(), usage);
    std::exit(2);
}

Options parse_options(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) != "hetzner") usage_error("the first argument names the cloud: hetzner");
    Options options;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (i + 1 >= argc) usage_error("'" + arg + "' needs a value");
        std::string value = argv[++i];
        if (arg == "--url") options.url = value;
        else if (arg == "--network-file") options.network_file = value;
        else if (arg == "--authorized-keys") options.authorized_keys = value;
        else if (arg == "--attempts" && value.find_first_not_of("0123456789") == std::string::npos &&
                 value.size() < 4 && std::stoi(value) > 0)
            options.attempts = std::stoi(value);
        else usage_error("unexpected argument '" + arg + " " + value + "'");
    }
    return options;
}

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

void write_all(int fd, const std::string& text, const std::string& path) {
    for (size_t done = 0; done < text.size();) {
        ssize_t n = write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno != EINTR) throw Error("cannot write '" + path + "': " + std::strerror(errno));
        if (n > 0) done += static_cast<size_t>(n);
    }
    if (fsync(fd) != 0) throw Error("cannot sync '" + path + "': " + std::strerror(errno));
}

// A new file at temp, mode `mode`, holding `text`.
void write_new(const std::string& temp, const std::string& text, mode_t mode) {
    unlink(temp.c_str());
    int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) throw Error("cannot create '" + temp + "': " + std::strerror(errno));
    try {
        write_all(fd, text, temp);
        if (fchmod(fd, mode) != 0) throw Error("cannot chmod '" + temp + "': " + std::strerror(errno));
    } catch (...) {
        close(fd);
        unlink(temp.c_str());
        throw;
    }
    close(fd);
}

void make_dir(const std::string& dir, mode_t mode) {
    if (mkdir(dir.c_str(), mode) != 0 && errno != EEXIST)
        throw Error("cannot create '" + dir + "': " + std::strerror(errno));
}

// Replaced at every boot: renamed over, so networkd never reads half a file.
void apply_ipv6(const Options& options, const std::string& metadata) {
    auto ipv6 = lethe::metadata::parse_ipv6_config(metadata);
    if (!ipv6) {
        unlink(options.network_file.c_str());
        say("the metadata has no IPv6 address for this server; IPv4 only");
        return;
    }
    make_dir(parent_of(options.network_file), 0755);
    std::string temp = options.network_file + ".new";
    write_new(temp, lethe::metadata::render_network_file(*ipv6), 0644);
    if (rename(temp.c_str(), options.network_file.c_str()) != 0)
        throw Error("cannot rename '" + temp + "': " + std::strerror(errno));
    say("IPv6 " + ipv6->address + " via " + (ipv6->gateway.empty() ? "no gateway" : ipv6->gateway) + " on " +
        ipv6->mac + ": wrote " + options.network_file);
}

// First-boot semantics: an existing file (even empty) is the owner's, kept as it is.
void apply_keys(const Options& options, const lethe::metadata::Url& url,
                const lethe::metadata::FetchOptions& fetch_options) {
    struct stat st {};
    if (lstat(options.authorized_keys.c_str(), &st) == 0) {
        say(options.authorized_keys + " exists; left as it is");
        return;
    }
    lethe::metadata::Url keys_url = url;
    keys_url.path += "/public-keys";
    auto keys = lethe::metadata::parse_public_keys(lethe::metadata::fetch(keys_url, fetch_options, say));
    if (keys.empty()) {
        say("the metadata has no SSH keys for this server; " + options.authorized_keys + " not written");
        return;
    }
    std::string dir = parent_of(options.authorized_keys);
    make_dir(dir, 0700);
    if (chmod(dir.c_str(), 0700) != 0) throw Error("cannot chmod '" + dir + "': " + std::strerror(errno));
    std::string temp = options.authorized_keys + ".lethe-new";
    write_new(temp, lethe::metadata::render_authorized_keys(keys), 0600);
    // link() refuses to replace: a file that appeared meanwhile wins.
    int linked = link(temp.c_str(), options.authorized_keys.c_str());
    int err = errno;
    unlink(temp.c_str());
    if (linked != 0 && err != EEXIST)
        throw Error("cannot create '" + options.authorized_keys + "': " + std::strerror(err));
    say("wrote " + std::to_string(keys.size()) + " SSH key" + (keys.size() == 1 ? "" : "s") + " to " +
        options.authorized_keys);
}

} // namespace

int main(int argc, char** argv) {
    Options options = parse_options(argc, argv);
    lethe::metadata::Url url;
    try {
        url = lethe::metadata::parse_url(options.url);
    } catch (const Error& e) {
        usage_error(e.what());
    }
    lethe::metadata::FetchOptions fetch_options;
    fetch_options.attempts = options.attempts;
    // Without the metadata document the service is unreachable (or not
    // Hetzner's): the keys would only wait for the same retries again.
    std::string metadata;
    try {
        metadata = lethe::metadata::fetch(url, fetch_options, say);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lethe-metadata: error: cannot get the metadata: %s\n", e.what());
        return 1;
    }
    int status = 0;
    try {
        apply_ipv6(options, metadata);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lethe-metadata: error: IPv6: %s\n", e.what());
        status = 1;
    }
    try {
        apply_keys(options, url, fetch_options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lethe-metadata: error: SSH keys: %s\n", e.what());
        status = 1;
    }
    return status;
}
