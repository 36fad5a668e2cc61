#include "catalog/filesystem_kinds.hpp"

#include <stdexcept>

namespace lethe::catalog {

const std::vector<FilesystemKind>& filesystem_kinds() {
    // Compressions: what the tools in Debian 12 offer (erofs-utils 1.5,
    // squashfs-tools 4.5). Labels: ext4 holds 16 bytes, vfat 11; erofs and
    // squashfs follow ext4's limit here.
    static const std::vector<FilesystemKind> kinds = {
        {FilesystemId::erofs, "erofs", {{"mkfs.erofs", "erofs-utils"}}, 16, false, {"lz4hc", "lz4", "none"},
         "lz4hc", true, true, "erofs"},
        {FilesystemId::squashfs, "squashfs", {{"mksquashfs", "squashfs-tools"}}, 16, false,
         {"zstd", "xz", "gzip", "lz4", "lzo"}, "zstd", true, true, "squashfs"},
        {FilesystemId::ext4, "ext4", {{"mke2fs", "e2fsprogs"}, {"debugfs", "e2fsprogs"}}, 16, false, {}, "", false,
         true, "ext4"},
        {FilesystemId::vfat, "vfat", {{"mkfs.vfat", "dosfstools"}, {"mcopy", "mtools"}, {"mmd", "mtools"}}, 11, true,
         {}, "", false, false, "vfat"},
        {FilesystemId::none, "none", {}, 0, false, {}, "", false, false, ""},
    };
    return kinds;
}

const FilesystemKind* find_filesystem_kind(std::string_view name) {
    for (const auto& kind : filesystem_kinds())
        if (kind.name == name) return &kind;
    return nullptr;
}

const FilesystemKind& filesystem_kind(std::string_view name) {
    if (const auto* kind = find_filesystem_kind(name)) return *kind;
    throw std::logic_error("internal error: no filesystem kind '" + std::string(name) + "'");
}

std::vector<std::string> filesystem_names() {
    std::vector<std::string> names;
    for (const auto& kind : filesystem_kinds()) names.emplace_back(kind.name);
    return names;
}

} // namespace lethe::catalog
