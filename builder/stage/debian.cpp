#include "stage/debian.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

// Bumped whenever mmdebstrap_command changes what ends up in the tarball, so
// caches made by an older lethe are not reused.
constexpr const char* command_version = "lethe-mmdebstrap-1";

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

std::vector<std::string> sorted_packages(std::vector<std::string> packages) {
    std::sort(packages.begin(), packages.end());
    packages.erase(std::unique(packages.begin(), packages.end()), packages.end());
    return packages;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
    std::string joined;
    for (const auto& item : items) joined += (joined.empty() ? "" : separator) + item;
    return joined;
}

} // namespace

fs::path default_cache_dir() {
    if (auto dir = environment("LETHE_CACHE_DIR"); !dir.empty()) return dir;
    if (auto dir = environment("XDG_CACHE_HOME"); !dir.empty()) return fs::path(dir) / "lethe";
    if (auto home = environment("HOME"); !home.empty()) return fs::path(home) / ".cache/lethe";
    fail_input("no cache directory: set LETHE_CACHE_DIR, XDG_CACHE_HOME or HOME, or pass --cache-dir");
}

std::string debian_cache_key(const DebianSource& source) {
    // One field per line, so no two sources can produce the same text.
    std::string text = fmt::format("{}\nsuite={}\nvariant={}\nmirror={}\narchitecture={}\npackages={}\n",
                                   command_version, source.suite, source.variant, source.mirror, source.architecture,
                                   join(sorted_packages(source.packages), ","));
    return sha256_hex(text);
}

exec::Command mmdebstrap_command(const DebianSource& source, const fs::path& output) {
    // --mode=root keeps the archive's owners exact without user namespaces.
    // The hooks replace what mmdebstrap copies from the build host
    // (resolv.conf, hostname), which would otherwise leak into every image
    // and make the tarball differ between hosts (the copied hostname even
    // keeps the host file's mode, hence the chmod).
    std::vector<std::string> argv = {"mmdebstrap", "--mode=root", "--format=tar"};
    if (!source.variant.empty()) argv.push_back("--variant=" + source.variant);
    if (!source.architecture.empty()) argv.push_back("--architectures=" + source.architecture);
    auto packages = sorted_packages(source.packages);
    if (!packages.empty()) argv.push_back("--include=" + join(packages, ","));
    argv.push_back("--customize-hook=rm -f \"$1/etc/resolv.conf\"");
    argv.push_back("--customize-hook=echo localhost > \"$1/etc/hostname\" && chmod 0644 \"$1/etc/hostname\"");
    argv.push_back(source.suite);
    argv.push_back(output.string());
    if (!source.mirror.empty()) argv.push_back(source.mirror);
    return {argv};
}

fs::path fetch_debian(const DebianSource& source, const fs::path& cache_dir, exec::CommandRunner& runner) {
    if (source.suite.empty()) fail_input("rootfs.mmdebstrap needs a suite (e.g. bookworm)");
    fs::path dir = cache_dir / "debian";
    fs::path tarball = dir / (debian_cache_key(source) + ".tar");
    std::string what = fmt::format("{} {} with {} extra packages", source.suite, source.variant, source.packages.size());
    std::error_code ec;
    if (fs::is_regular_file(tarball, ec)) {
        spdlog::info("using cached rootfs {} ({})", tarball.string(), what);
        return tarball;
    }
    fs::create_directories(dir, ec);
    if (ec) fail("cannot create the cache directory '{}': {}", dir.string(), ec.message());
    // The pid keeps two builds filling the cache at once from sharing a file.
    fs::path partial = tarball.string() + ".partial-" + std::to_string(getpid());
    spdlog::info("making the Debian rootfs with mmdebstrap ({}), cached as {}", what, tarball.string());
    try {
        runner.run(mmdebstrap_command(source, partial));
        if (!fs::is_regular_file(partial, ec)) fail("mmdebstrap did not write '{}'", partial.string());
        if (std::rename(partial.c_str(), tarball.c_str()) != 0) fail_errno("cannot rename into", tarball.string());
    } catch (...) {
        fs::remove(partial, ec);
        throw;
    }
    return tarball;
}

} // namespace lethe::stage
