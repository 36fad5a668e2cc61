#pragma once
// /usr through dm-verity, the pure part: which partitions usrhash= on the
// kernel command line names (their GPT UUIDs are the root hash's halves,
// verity.hpp), and what lethe-init says when /usr does not match. The
// device itself is set up by verity_device.hpp.

#include "initrd/missing_partitions.hpp"

#include <string>
#include <string_view>

namespace lethe::init {

struct UsrVerity {
    std::string root_hash;  // hex, from usrhash=
    WantedPartition data;   // PARTUUID=<first 128 bits>, "/usr, ..."
    WantedPartition hash;   // PARTUUID=<last 128 bits>, "the hash tree of /usr, ..."
};

// From the text of /proc/cmdline. Failure when it has no usrhash= (or a bad
// one), saying where the root hash comes from.
UsrVerity usr_verity_from_cmdline(std::string_view cmdline);

// "/usr does not match its root hash ...": the devices, their UUIDs, the
// hash and what went wrong (ERROR), for the failure path.
std::string usr_mismatch_message(const UsrVerity& verity, const std::string& data_device,
                                 const std::string& hash_device, const std::string& error);

} // namespace lethe::init
