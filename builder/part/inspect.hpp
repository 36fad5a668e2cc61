#pragma once
// `lethe inspect`: the partition table of a raw image (libfdisk) and the
// filesystem in each partition (libblkid), as a table or as JSON.

#include "part/partition_table.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lethe::part {

struct Filesystem {
    std::string type; // blkid's TYPE: "erofs", "ext4", "vfat", ...
    std::string label;
    std::string uuid;
    std::optional<uint64_t> size; // bytes; only when libblkid reports FSSIZE (util-linux >= 2.39)
};

struct InspectedPartition {
    Partition partition;
    std::optional<Filesystem> filesystem; // nullopt: no signature libblkid knows
};

struct Inspection {
    std::string path;
    PartitionTable table;
    std::vector<InspectedPartition> partitions;
};

Inspection inspect_image(const std::string& image_path);

// A human-readable table, one row per partition.
std::string inspection_text(const Inspection& inspection);

// {"path", "disk": {...}, "partitions": [{..., "filesystem": {...}}]}; a
// partition without a recognised filesystem has no "filesystem" key.
nlohmann::ordered_json inspection_json(const Inspection& inspection);

} // namespace lethe::part
