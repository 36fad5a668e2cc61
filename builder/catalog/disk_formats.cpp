#include "catalog/disk_formats.hpp"

namespace lethe::catalog {

const std::vector<std::string>& disk_formats() {
    static const std::vector<std::string> formats = {"raw", "qcow2", "raw.zst", "raw.xz"};
    return formats;
}

std::optional<exec::Tool> disk_format_tool(const std::string& format) {
    if (format == "qcow2") return exec::Tool{"qemu-img", "qemu-utils"};
    return std::nullopt; // raw.zst and raw.xz: libzstd and liblzma (builder/outputs/compressed_disk.hpp)
}

} // namespace lethe::catalog
