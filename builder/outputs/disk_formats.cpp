#include "outputs/disk_formats.hpp"

#include "util/error.hpp"

namespace lethe::outputs {

const std::vector<std::string>& disk_formats() {
    static const std::vector<std::string> formats = {"raw", "qcow2", "raw.zst", "raw.xz"};
    return formats;
}

exec::Command convert_command(const std::string& format, const std::filesystem::path& raw,
                              const std::filesystem::path& output) {
    if (format == "qcow2") return {{"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.string(), output.string()}};
    // zstd's and xz's multi-threaded output depends on the thread count:
    // -T2 everywhere keeps builds on different machines bit-identical.
    // Holes read as zeros, which both compress to almost nothing.
    if (format == "raw.zst") return {{"zstd", "-q", "-f", "-T2", "-10", raw.string(), "-o", output.string()}};
    if (format == "raw.xz") return {{"xz", "-q", "-k", "-c", "-T2", "-6", raw.string()}, {}, {}, output.string()};
    fail("internal error: no way to make a '{}' disk", format);
}

std::pair<std::string, std::string> convert_tool(const std::string& format) {
    if (format == "qcow2") return {"qemu-img", "qemu-utils"};
    if (format == "raw.zst") return {"zstd", "zstd"};
    if (format == "raw.xz") return {"xz", "xz-utils"};
    return {};
}

} // namespace lethe::outputs
