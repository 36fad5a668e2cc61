#include "part/partition_types.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace lethe::part {
namespace {

struct TypeEntry {
    std::string_view name;
    std::string_view guid;
};

// Copied from the Discoverable Partitions Specification; "root" and "usr"
// without a suffix mean x86-64, the architecture lethe builds for by default.
constexpr std::array<TypeEntry, 22> types = {{
    {"esp", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"},
    {"xbootldr", "bc13c2ff-59e6-4262-a352-b275fd6f7172"},
    {"bios-boot", "21686148-6449-6e6f-744e-656564454649"},
    {"root", "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"},
    {"root-verity", "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"},
    {"root-verity-sig", "41092b05-9fc8-4523-994f-2def0408b176"},
    {"usr", "8484680c-9521-48c6-9c11-b0720656f69e"},
    {"usr-verity", "77ff5f63-e7b6-4633-acf4-1565b864c0e6"},
    {"usr-verity-sig", "e7bb33fb-06cf-4e81-8273-e543b413e2e2"},
    {"root-arm64", "b921b045-1df0-41c3-af44-4c6f280d3fae"},
    {"root-arm64-verity", "df3300ce-d69f-4c92-978c-9bfb0f38d820"},
    {"root-arm64-verity-sig", "6db69de6-29f4-4758-a7a5-962190f00ce3"},
    {"usr-arm64", "b0e01050-ee5f-4390-949a-9101b17104e9"},
    {"usr-arm64-verity", "6e11a4e7-fbca-4ded-b9e9-e1a512bb664e"},
    {"usr-arm64-verity-sig", "c23ce4ff-44bd-4b00-b2d4-b41b3419e02a"},
    {"home", "933ac7e1-2eb4-4f13-b844-0e14e2aef915"},
    {"srv", "3b8f8425-20e0-4f3b-907f-1a25a76f98e8"},
    {"var", "4d21b016-b534-45c2-a9fb-5c16e091fd2d"},
    {"tmp", "7ec6f557-3bc5-4aca-b293-16ef5df639d1"},
    {"swap", "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"},
    {"user-home", "773f91ef-66d4-49b5-bd83-d683bf40ad16"},
    {"linux-generic", "0fc63daf-8483-4772-8e79-3d69d8477de4"},
}};

} // namespace

std::optional<std::string> normalize_guid(std::string_view text) {
    if (text.size() != 36) return std::nullopt;
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_position ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c)))
            return std::nullopt;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::optional<std::string> type_guid_for(std::string_view name_or_guid) {
    for (const auto& t : types)
        if (t.name == name_or_guid) return std::string(t.guid);
    return normalize_guid(name_or_guid);
}

std::string type_name_for(std::string_view guid) {
    std::string lower = normalize_guid(guid).value_or(std::string(guid));
    for (const auto& t : types)
        if (t.guid == lower) return std::string(t.name);
    return lower;
}

std::vector<std::string> type_names() {
    std::vector<std::string> out;
    for (const auto& t : types)
        out.emplace_back(t.name);
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace lethe::part
