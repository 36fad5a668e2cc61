#pragma once
// The GPT of a raw disk image, written and read with libfdisk. No loop
// devices: libfdisk works on the image file directly.

#include <cstdint>
#include <string>
#include <vector>

namespace lethe::part {

// lethe writes 512-byte sectors: what QEMU and most virtual disks present.
constexpr uint64_t sector_size = 512;

// Offsets and sizes in bytes, multiples of sector_size.
struct PartitionSpec {
    std::string name; // GPT partition label, at most 36 characters
    std::string type_guid;
    std::string uuid;
    uint64_t offset = 0;
    uint64_t size = 0;
    uint64_t attributes = 0; // GPT attribute bits; bit 2 is "legacy BIOS bootable"
};

struct TableSpec {
    std::string disk_uuid;
    uint64_t disk_size = 0; // must equal the image file's size
    std::vector<PartitionSpec> partitions;
};

// Writes a protective MBR and a GPT (primary and backup) into the existing
// image file, numbering partitions in the order given. The same TableSpec
// always yields the same bytes.
void write_partition_table(const std::string& image_path, const TableSpec& table);

struct Partition {
    size_t number = 0; // 1-based, as in /dev/sda1
    std::string name;
    std::string type_guid; // lower case
    std::string type_name; // DPS short name, or the GUID when it has none
    std::string uuid;      // lower case
    uint64_t offset = 0;   // bytes
    uint64_t size = 0;     // bytes
    uint64_t attributes = 0;
};

struct PartitionTable {
    std::string label;     // "gpt"
    std::string disk_uuid; // lower case
    uint64_t sector_size = 0;
    uint64_t disk_size = 0; // bytes
    std::vector<Partition> partitions;
};

// Reads the GPT of a raw image. Fails with bad input when the file is not a
// GPT disk (and says how to convert a qcow2 image).
PartitionTable read_partition_table(const std::string& image_path);

} // namespace lethe::part
