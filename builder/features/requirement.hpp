#pragma once
// What an optional feature needs in the image's root filesystem, as data:
// the program a unit runs, the unit a drop-in extends. The check resolves each
// path inside the staged tree as the booted image will (openat2 with
// RESOLVE_IN_ROOT), so a rootfs's symlink (/sbin -> usr/sbin, or one planted
// to point at /usr/sbin/nft of the build host) is followed inside the tree,
// never out of it.

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::features {

struct RootfsRequirement {
    enum class Kind { program, file };
    Kind kind = Kind::program;
    std::vector<std::string> paths; // absolute, as in the image; any one of them will do
    std::string package;            // the Debian package that ships it
};

// Whether the tree has IMAGE_PATH as a regular file (executable by someone,
// for a program), resolved inside the tree.
bool tree_has(const std::filesystem::path& tree, const std::string& image_path,
              RootfsRequirement::Kind kind);

// "" when the tree meets every requirement; else the refusal of the first
// one it does not, naming the recipe key and the package to add:
// "the recipe has 'firewall:' but the rootfs has no /usr/sbin/nft: add the
// Debian package nftables to the rootfs, or remove 'firewall:'".
std::string unmet_requirement(const std::filesystem::path& tree,
                              const std::vector<RootfsRequirement>& requirements,
                              const std::string& recipe_key);

} // namespace lethe::features
