#include "spec/mount_option_names.hpp"

#include "util/did_you_mean.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <libmount.h>

namespace lethe::spec {
namespace {

// Every option name in libmount's maps, as mount(8) spells it: "uid=" and
// "user[=]" are listed with their value syntax, which is cut off here.
const std::vector<std::string>& libmount_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (int map : {MNT_LINUX_MAP, MNT_USERSPACE_MAP})
            for (const libmnt_optmap* entry = mnt_get_builtin_optmap(map); entry && entry->name;
                 ++entry) {
                std::string name = entry->name;
                name = name.substr(0, name.find_first_of("=["));
                if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end())
                    out.push_back(name);
            }
        return out;
    }();
    return names;
}

// What lethe-init does without options: a bind mount gets the per-mount
// flags of the file system it comes from.
bool is_default(std::string_view name) {
    return name == "exec" || name == "suid" || name == "dev" || name == "rw";
}

} // namespace

const std::vector<std::string>& bind_mount_option_names() {
    static const std::vector<std::string> names = {"noexec", "nosuid", "nodev", "ro"};
    return names;
}

bool libmount_knows(std::string_view name) {
    const auto& names = libmount_names();
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string check_bind_mount_option(std::string_view name) {
    const auto& supported = bind_mount_option_names();
    if (std::find(supported.begin(), supported.end(), name) != supported.end()) return "";
    if (!libmount_knows(name)) {
        std::string suggestion = did_you_mean(name, supported);
        if (suggestion.empty()) suggestion = did_you_mean(name, libmount_names());
        return fmt::format("unknown mount option '{}'{}", name, suggestion);
    }
    if (is_default(name))
        return fmt::format("'{}' is what a persisted path gets without options: leave it out",
                           name);
    return fmt::format(
        "'{}' is a mount option, but not one a bind mount can set: a persisted path takes "
        "noexec, nosuid, nodev and ro (its file system, and that file system's options, are "
        "the persistent partition's)",
        name);
}

std::vector<std::string> read_bind_mount_options(const Document& doc, const YAML::Node& node) {
    std::vector<std::string> options =
        read_string_list(doc, node, "mount options: noexec, nosuid, nodev, ro");
    for (size_t i = 0; i < options.size(); ++i) {
        if (std::string wrong = check_bind_mount_option(options[i]); !wrong.empty())
            doc.fail_at(node[i], wrong);
        if (std::find(options.begin(), options.begin() + static_cast<long>(i), options[i]) !=
            options.begin() + static_cast<long>(i))
            doc.fail_at(node[i], fmt::format("'{}' is listed twice", options[i]));
    }
    return options;
}

} // namespace lethe::spec
