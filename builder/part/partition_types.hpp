#pragma once
// GPT partition type GUIDs by short name, from the UAPI Discoverable
// Partitions Specification (systemd's sd-gpt.h), plus the BIOS boot partition
// that GRUB's i386-pc core image needs on a GPT disk.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::part {

// A GPT's partition entry array, as libfdisk (and sgdisk) make it, has 128
// entries: the most partitions a disk can have.
inline constexpr size_t max_partitions = 128;

// "usr" -> "8484680c-9521-48c6-9c11-b0720656f69e". A literal GUID is accepted
// in any case and returned in lower case; nullopt for anything else.
std::optional<std::string> type_guid_for(std::string_view name_or_guid);

// The short name of a type GUID (any case), or the lower-case GUID itself
// when it has no short name.
std::string type_name_for(std::string_view guid);

// Every short name, sorted, for "did you mean" suggestions and help text.
std::vector<std::string> type_names();

// "0FC63DAF-..." -> "0fc63daf-..."; nullopt unless 8-4-4-4-12 hex digits.
std::optional<std::string> normalize_guid(std::string_view text);

} // namespace lethe::part
