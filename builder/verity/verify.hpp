#pragma once
// `lethe verify IMAGE [--manifest FILE]`: does the usr partition of a raw or
// qcow2 image still match the root hash its boot loaders put on the kernel
// command line (and its manifest records)? Offline and without root: the
// GPT with libfdisk, the ESP with mtools, the hash tree in-process. Says
// which block ranges differ.

#include "exec/command_runner.hpp"
#include "part/partition_table.hpp"
#include "verity/hash_tree.hpp"

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace lethe::verity {

struct VerifyOptions {
    std::filesystem::path image;
    std::optional<std::filesystem::path> manifest;
    // Where a qcow2 image is converted to a (sparse) raw one; empty: $TMPDIR or /tmp.
    std::filesystem::path temp_dir;
};

// Writes the report to OUT; true when everything matches. Throws
// lethe::Error with bad input (2) for what it cannot check (no GPT, no usr
// or usr-verity partition, no root hash anywhere, a bad manifest).
bool verify_image(const VerifyOptions& options, exec::CommandRunner& runner, std::ostream& out);

exec::Command qcow2_to_raw_command(const std::filesystem::path& qcow2,
                                   const std::filesystem::path& raw);

// The data and hash partitions of root hash ROOT_HASH: those whose UUIDs
// the hash gives (see init::verity_partition_uuids), as lethe-init finds
// them. When one has another UUID, the single partition of its
// Discoverable Partitions type (the native Target's usr, usr-verity) is
// taken instead and PROBLEMS says so; fail_input when there is none.
struct VerityPair {
    part::Partition data;
    part::Partition hash;
};
VerityPair find_verity_pair(const part::PartitionTable& table, const std::string& root_hash,
                            std::vector<std::string>& problems);

// The report's lines for what did not match (empty when all did). Long
// lists show their first and last few ranges.
std::vector<std::string> describe_mismatches(const TreeCheck& check, const std::string& data_name,
                                             const std::string& hash_name,
                                             const std::string& root_hash);

} // namespace lethe::verity
