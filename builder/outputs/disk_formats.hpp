#pragma once
// The forms a recipe's `outputs` may ask for beyond the raw disk: qcow2 for
// QEMU, and compressed raw disks for uploading (hcloud-upload-image takes
// raw.xz and raw.zst). Each is made from the raw disk in one streamed pass:
// no second uncompressed copy is ever written.

#include "exec/command_runner.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::outputs {

// Every output format a recipe may list, in the order they are made.
const std::vector<std::string>& disk_formats();

// The command that makes `format` ("qcow2", "raw.zst", "raw.xz") from the raw
// disk. The thread counts are fixed, so the bytes do not depend on the
// machine's core count.
exec::Command convert_command(const std::string& format, const std::filesystem::path& raw,
                              const std::filesystem::path& output);

// The tool each format needs, with its Debian package, for a clear error up front.
std::pair<std::string, std::string> convert_tool(const std::string& format);

} // namespace lethe::outputs
