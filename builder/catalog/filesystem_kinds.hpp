#pragma once
// The filesystems lethe makes, and what each means for every stage: one
// table that the layout parser, the plan, the tool check and builder/mkfs
// read. A new filesystem kind is a row here and its command lines in mkfs/.

#include "exec/tool.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::catalog {

enum class FilesystemId { erofs, squashfs, ext4, vfat, none };

struct FilesystemKind {
    FilesystemId id;
    std::string_view name;                 // as layouts and plans say it
    std::vector<exec::Tool> tools;         // what makes it on the build host
    size_t label_limit;                    // bytes the label holds
    bool upper_case_label;                 // FAT labels are stored in upper case
    std::vector<std::string> compressions; // empty: not compressed
    std::string_view default_compression;
    bool read_only;            // made to fit its content; the partition takes the image's size
    bool can_hold_usr;         // may be the OS partition
    std::string_view module;   // the kernel module that mounts it, for the initrd
};

const std::vector<FilesystemKind>& filesystem_kinds();

// The kind called `name`; nullptr when there is none.
const FilesystemKind* find_filesystem_kind(std::string_view name);

// The kind called `name`, which the parser has already checked exists.
const FilesystemKind& filesystem_kind(std::string_view name);

// Every kind's name, in table order, for errors and did-you-mean.
std::vector<std::string> filesystem_names();

} // namespace lethe::catalog
