#include "catalog/partition_types.hpp"

#include "catalog/target.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace lethe::catalog {
namespace {

struct TypeEntry {
    std::string_view name;
    std::string_view guid;
};

// Copied from the Discoverable Partitions Specification.
constexpr std::array<TypeEntry, 10> generic_types = {{
    {"esp", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"},
    {"xbootldr", "bc13c2ff-59e6-4262-a352-b275fd6f7172"},
    {"bios-boot", "21686148-6449-6e6f-744e-656564454649"},
    {"home", "933ac7e1-2eb4-4f13-b844-0e14e2aef915"},
    {"srv", "3b8f8425-20e0-4f3b-907f-1a25a76f98e8"},
    {"var", "4d21b016-b534-45c2-a9fb-5c16e091fd2d"},
    {"tmp", "7ec6f557-3bc5-4aca-b293-16ef5df639d1"},
    {"swap", "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"},
    {"user-home", "773f91ef-66d4-49b5-bd83-d683bf40ad16"},
    {"linux-generic", "0fc63daf-8483-4772-8e79-3d69d8477de4"},
}};

// Each architecture-dependent name with the field of the target that holds its GUID.
using TypeField = std::string_view ArchitecturePartitionTypes::*;
constexpr std::array<std::pair<std::string_view, TypeField>, 6> architecture_types = {{
    {"root", &ArchitecturePartitionTypes::root},
    {"root-verity", &ArchitecturePartitionTypes::root_verity},
    {"root-verity-sig", &ArchitecturePartitionTypes::root_verity_sig},
    {"usr", &ArchitecturePartitionTypes::usr},
    {"usr-verity", &ArchitecturePartitionTypes::usr_verity},
    {"usr-verity-sig", &ArchitecturePartitionTypes::usr_verity_sig},
}};

} // namespace

const std::vector<std::string_view>& architecture_type_names() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> out;
        for (const auto& [name, field] : architecture_types) out.push_back(name);
        return out;
    }();
    return names;
}

std::optional<std::string> normalize_guid(std::string_view text) {
    if (text.size() != 36) return std::nullopt;
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_position ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::optional<std::string> generic_type_guid(std::string_view name) {
    for (const auto& t : generic_types)
        if (t.name == name) return std::string(t.guid);
    return std::nullopt;
}

bool is_partition_type(std::string_view text) {
    auto names = architecture_type_names();
    return generic_type_guid(text) || normalize_guid(text) ||
           std::find(names.begin(), names.end(), text) != names.end();
}

std::optional<std::string> type_guid(const Target& target, std::string_view name_or_guid) {
    for (const auto& [name, field] : architecture_types)
        if (name == name_or_guid) return std::string(target.types.*field);
    if (auto guid = generic_type_guid(name_or_guid)) return guid;
    return normalize_guid(name_or_guid);
}

bool is_usr_type(const Target& target, std::string_view guid) {
    return normalize_guid(guid) == std::string(target.types.usr);
}

std::string type_name_for(const Target& target, std::string_view guid) {
    std::string lower = normalize_guid(guid).value_or(std::string(guid));
    for (const auto& [name, field] : architecture_types)
        if (target.types.*field == lower) return std::string(name);
    for (const auto& t : generic_types)
        if (t.guid == lower) return std::string(t.name);
    return lower;
}

std::vector<std::string> type_names() {
    std::vector<std::string> out;
    for (const auto& t : generic_types) out.emplace_back(t.name);
    for (const auto& name : architecture_type_names()) out.emplace_back(name);
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace lethe::catalog
