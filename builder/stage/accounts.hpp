#pragma once
// Users and groups of the image, read from its own /etc/passwd and
// /etc/group: ownership in a manifest means the image's ids, never the host's.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace lethe::stage {

class TreeRoot;

struct Accounts {
    std::map<std::string, uint32_t> users;
    std::map<std::string, uint32_t> groups;
};

// Parses passwd(5) and group(5) text; malformed lines are skipped.
Accounts parse_accounts(const std::string& passwd, const std::string& group);
// The image's /etc/passwd and /etc/group, read inside the tree.
Accounts load_accounts(const TreeRoot& tree);

// "sshd" or "105" -> 105; nullopt when the name is unknown.
std::optional<uint32_t> user_id(const Accounts& accounts, const std::string& name_or_number);
std::optional<uint32_t> group_id(const Accounts& accounts, const std::string& name_or_number);

} // namespace lethe::stage
