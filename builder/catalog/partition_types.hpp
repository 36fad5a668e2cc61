#pragma once
// GPT partition type GUIDs by short name, from the UAPI Discoverable
// Partitions Specification (systemd's sd-gpt.h), plus the BIOS boot partition
// that GRUB's i386-pc core image needs on a GPT disk. Names whose GUID
// depends on the architecture (root, usr and their verity partitions) are
// resolved against a Target (catalog/target.hpp), in the plan.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::catalog {

// A GPT's partition entry array, as libfdisk (and sgdisk) make it, has 128
// entries: the most partitions a disk can have.
inline constexpr size_t max_partitions = 128;

struct Target;

// The names of the types that differ by architecture: "root", "usr-verity", ...
const std::vector<std::string_view>& architecture_type_names();

// "esp" -> "c12a7328-...": an architecture-independent type; nullopt otherwise.
std::optional<std::string> generic_type_guid(std::string_view name);

// Whether `text` names a type for some target: a short name of either kind,
// or a GUID (any case). What a layout may write, checked before planning.
bool is_partition_type(std::string_view text);

// The partition type GUID of a DPS short name for this target: "usr" ->
// its usr GUID; architecture-independent names ("esp", "linux-generic")
// and literal GUIDs as for any target. nullopt for anything else.
std::optional<std::string> type_guid(const Target& target, std::string_view name_or_guid);

// Whether a type GUID is this target's usr partition type.
bool is_usr_type(const Target& target, std::string_view guid);

// The short name of a type GUID (any case) for `target`, or the lower-case
// GUID itself when it has none.
std::string type_name_for(const Target& target, std::string_view guid);

// Every short name, sorted, for "did you mean" suggestions and help text.
std::vector<std::string> type_names();

// "0FC63DAF-..." -> "0fc63daf-..."; nullopt unless 8-4-4-4-12 hex digits.
std::optional<std::string> normalize_guid(std::string_view text);

// The unused-entry GUID: GPT reads a partition of this type as no partition.
inline constexpr std::string_view unused_type_guid = "00000000-0000-0000-0000-000000000000";

} // namespace lethe::catalog
