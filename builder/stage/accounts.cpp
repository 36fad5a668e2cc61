#include "stage/accounts.hpp"

#include "stage/tree_root.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace lethe::stage {
namespace {

// name:x:ID:... -> name, ID (the third field in both files).
void parse_id_file(const std::string& text, std::map<std::string, uint32_t>& out) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string name, password, id;
        if (!std::getline(fields, name, ':') || !std::getline(fields, password, ':') || !std::getline(fields, id, ':'))
            continue;
        if (name.empty() || id.empty() || !std::all_of(id.begin(), id.end(), ::isdigit)) continue;
        out.emplace(name, static_cast<uint32_t>(std::stoul(id)));
    }
}

std::optional<uint32_t> lookup(const std::map<std::string, uint32_t>& ids, const std::string& name) {
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) return static_cast<uint32_t>(std::stoul(name));
    auto it = ids.find(name);
    if (it == ids.end()) return std::nullopt;
    return it->second;
}

} // namespace

Accounts parse_accounts(const std::string& passwd, const std::string& group) {
    Accounts accounts;
    parse_id_file(passwd, accounts.users);
    parse_id_file(group, accounts.groups);
    return accounts;
}

Accounts load_accounts(const TreeRoot& tree) {
    return parse_accounts(tree.read("etc/passwd").value_or(""), tree.read("etc/group").value_or(""));
}

std::optional<uint32_t> user_id(const Accounts& accounts, const std::string& name) {
    return lookup(accounts.users, name);
}

std::optional<uint32_t> group_id(const Accounts& accounts, const std::string& name) {
    return lookup(accounts.groups, name);
}

} // namespace lethe::stage
