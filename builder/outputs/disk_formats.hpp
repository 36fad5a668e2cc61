#pragma once
// The forms a recipe's `outputs` may ask for beyond the raw disk: qcow2 for
// QEMU, and compressed raw disks for uploading (hcloud-upload-image takes
// raw.xz and raw.zst). Each is made from the raw disk in one streamed pass
// that skips its holes: no second uncompressed copy is ever written.

#include "exec/command_runner.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lethe::outputs {

// Makes `output` in `format` ("qcow2", "raw.zst", "raw.xz") from the raw
// disk: qcow2 with qemu-img, the compressed disks with libzstd and liblzma
// (see compressed_disk.hpp).
void write_disk_format(const std::string& format, const std::filesystem::path& raw,
                       const std::filesystem::path& output, exec::CommandRunner& runner);

// The command that makes the qcow2 disk from the raw one.
exec::Command convert_command(const std::string& format, const std::filesystem::path& raw,
                              const std::filesystem::path& output);

} // namespace lethe::outputs
