#pragma once
// The forms a recipe's `outputs` may ask for: the raw disk, qcow2 for QEMU,
// and compressed raw disks for uploading (hcloud-upload-image takes raw.xz
// and raw.zst). builder/outputs makes them.

#include "exec/tool.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lethe::catalog {

// Every output format a recipe may list, in the order they are made.
const std::vector<std::string>& disk_formats();

// The host tool a format is made with; none for those lethe writes itself.
std::optional<exec::Tool> disk_format_tool(const std::string& format);

} // namespace lethe::catalog
