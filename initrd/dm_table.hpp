#pragma once
// One line of a device-mapper table: `START LENGTH TYPE PARAMS`, in 512-byte
// sectors, as dmsetup prints it and DM_TABLE_LOAD takes it (as a
// dm_target_spec followed by PARAMS).

#include <cstdint>
#include <string>

namespace lethe::init {

struct DmTarget {
    uint64_t start_sector = 0;
    uint64_t sectors = 0;
    std::string type;   // "verity"
    std::string params; // the target's own arguments
};

inline std::string table_line(const DmTarget& target) {
    return std::to_string(target.start_sector) + " " + std::to_string(target.sectors) + " " +
           target.type + " " + target.params;
}

} // namespace lethe::init
