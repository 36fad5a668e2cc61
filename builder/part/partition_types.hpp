#pragma once
// Placeholder until the part branch lands (same interface).
#include <optional>
#include <string>
#include <string_view>
#include <vector>
namespace lethe::part {
std::optional<std::string> type_guid_for(std::string_view name_or_guid);
std::string type_name_for(std::string_view guid);
std::vector<std::string> type_names();
}
