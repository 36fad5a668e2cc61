#include "outputs/disk_formats.hpp"

#include "outputs/compressed_disk.hpp"
#include "util/error.hpp"
#include "util/size.hpp"

#include <spdlog/spdlog.h>

namespace lethe::outputs {

void write_disk_format(const std::string& format, const std::filesystem::path& raw,
                       const std::filesystem::path& output, exec::CommandRunner& runner) {
    if (format != "raw.zst" && format != "raw.xz") {
        runner.run(convert_command(format, raw, output));
        return;
    }
    auto summary = compress_disk(raw, output, format == "raw.zst" ? DiskCompression::zstd : DiskCompression::xz);
    spdlog::info("{}: {} of data compressed in {} frames, the rest of the {} disk in {} frames of zeros",
                 output.filename().string(), human_size(summary.data_bytes), summary.frames,
                 human_size(summary.raw_bytes), summary.zero_frames);
}

exec::Command convert_command(const std::string& format, const std::filesystem::path& raw,
                              const std::filesystem::path& output) {
    if (format == "qcow2") return {{"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.string(), output.string()}};
    fail("internal error: no command makes a '{}' disk", format);
}

} // namespace lethe::outputs
