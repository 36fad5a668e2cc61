#pragma once
// Small file operations on the image's tree that every installing stage
// (units, Tailscale, network, Hetzner) needs, with the build's fixed times.
// Paths are as in the image and resolved inside ROOTFS (stage/tree_root.hpp):
// a link in the rootfs never leads them to the build host.

#include <cstdint>
#include <filesystem>
#include <string>

namespace lethe::stage {

// Is anything at IMAGE_PATH? The last name is not followed (a link counts).
bool has_entry(const std::filesystem::path& rootfs, const std::string& image_path);

// Sets an entry's access and modification times (of a link itself, not its target).
void set_times(const std::filesystem::path& rootfs, const std::string& image_path, int64_t epoch);

// Writes CONTENT to IMAGE_PATH (absolute, as seen in the image) inside
// ROOTFS with MODE, making parent directories, stamped with EPOCH.
void install_file(const std::filesystem::path& rootfs, const std::string& image_path,
                  const std::string& content, unsigned mode, int64_t epoch);

} // namespace lethe::stage
