#pragma once
// The hash tree of a verity partition, made by the real tool: `veritysetup
// format` (Debian package cryptsetup-bin) on the filesystem's image file,
// before the disk is assembled, so no loop device and no block device.
// Salt and superblock UUID come from the recipe's seed, so two builds of one
// recipe write the same hash image, byte for byte.

#include "exec/command_runner.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace lethe::verity {

// The hash algorithm and block sizes are the plan's (plan::verity_*).

struct FormatJob {
    std::filesystem::path data_image; // the filesystem image, read only
    std::filesystem::path hash_image; // written: superblock and hash tree
    std::string salt_hex;             // 64 hex digits: 32 bytes, the size veritysetup picks itself
    std::string uuid;                 // the superblock's UUID
};

// The job for PARTITION (its GPT name, "usr") of the recipe with SEED:
// salt HMAC-SHA256(seed, "verity-salt:" PARTITION), UUID derive_uuid(seed,
// "verity-superblock:" PARTITION).
FormatJob format_job(std::string_view seed, std::string_view partition,
                     const std::filesystem::path& data_image,
                     const std::filesystem::path& hash_image);

exec::Command format_command(const FormatJob& job);

// The root hash from veritysetup's report ("Root hash:      \t<hex>"),
// checked as lethe-init will check usrhash=. fail() when there is none.
std::string parse_root_hash(std::string_view output);

// Empties the hash image (veritysetup writes into an existing file without
// truncating it, so old bytes would survive after the tree), runs
// veritysetup and returns the root hash. fail() for a data image that is
// not whole data blocks (veritysetup would leave its tail unprotected).
std::string format(exec::CommandRunner& runner, const FormatJob& job);

} // namespace lethe::verity
