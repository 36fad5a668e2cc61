#include "features/audit/audit_rules.hpp"

#include "spec/parse.hpp"

#include <fmt/format.h>

namespace lethe::audit {

Audit parse_audit(const spec::Document& doc, const YAML::Node& node) {
    spec::MapReader map(doc, node, "audit", {"exec"});
    Audit audit;
    audit.origin = doc.origin(node);
    if (map.has("exec")) audit.exec = spec::read_bool(doc, map.get("exec"));
    return audit;
}

std::string render_audit_rules(const Audit& audit) {
    if (!audit.exec) return "";
    std::string out =
        "## Rendered by lethe from the recipe's audit: {exec: true}: a record of every\n"
        "## program run on this machine (`ausearch -k lethe-exec`). augenrules, run by\n"
        "## auditd.service, merges this file with the others here at every boot.\n";
    for (const char* arch : {"b64", "b32"})
        out +=
            fmt::format("-a exit,always -F arch={} -S execve -S execveat -k {}\n", arch, rules_key);
    return out;
}

std::vector<plan::PersistEntry> persisted_paths(const Audit& audit, const spec::Layout& layout) {
    if (!audit.exec || spec::persists_directory(layout, log_directory)) return {};
    return {{log_directory, true, std::string("root"), std::string("adm"), 0750}};
}

const std::vector<features::RootfsRequirement>& rootfs_requirements() {
    using Kind = features::RootfsRequirement::Kind;
    static const std::vector<features::RootfsRequirement> requirements = {
        {Kind::program, {"/usr/sbin/auditd", "/sbin/auditd"}, "auditd"},
        {Kind::program, {"/usr/sbin/augenrules", "/sbin/augenrules"}, "auditd"},
        {Kind::file,
         {"/usr/lib/systemd/system/auditd.service", "/lib/systemd/system/auditd.service"},
         "auditd"},
    };
    return requirements;
}

std::string check_rootfs(const std::filesystem::path& tree) {
    return features::unmet_requirement(tree, rootfs_requirements(), "audit");
}

features::Staging staging(const Audit& audit) {
    features::Staging out;
    if (!audit.exec) return out;
    // 0640 like the package's own rules.d files: who may read the rules
    // knows what is not watched.
    out.files.push_back({rules_file, render_audit_rules(audit), 0640});
    out.enable.push_back("auditd.service");
    return out;
}

} // namespace lethe::audit
