#include "part/partition_types.hpp"
#include <map>
namespace lethe::part {
namespace {
const std::map<std::string, std::string, std::less<>> types = {
    {"esp", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"},
    {"bios-boot", "21686148-6449-6e6f-744e-656564454649"},
    {"usr", "8484680c-9521-48c6-9c11-b0720656f69e"},
    {"root", "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"},
    {"linux-generic", "0fc63daf-8483-4772-8e79-3d69d8477de4"},
    {"var", "4d21b016-b534-45c2-a9fb-5c16e091fd2d"},
};
}
std::optional<std::string> type_guid_for(std::string_view name) {
    auto it = types.find(name);
    if (it != types.end()) return it->second;
    return std::nullopt;
}
std::string type_name_for(std::string_view guid) {
    for (auto& [n, g] : types) if (g == guid) return n;
    return std::string(guid);
}
std::vector<std::string> type_names() {
    std::vector<std::string> out;
    for (auto& [n, g] : types) out.push_back(n);
    return out;
}
}
