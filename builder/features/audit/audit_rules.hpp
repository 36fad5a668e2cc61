#pragma once
// Reading `audit:`, its share of the plan, and the rules file it renders.

#include "features/audit/audit.hpp"
#include "features/requirement.hpp"
#include "features/staging.hpp"
#include "plan/plan.hpp"
#include "spec/yaml_reader.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::audit {

Audit parse_audit(const spec::Document& doc, const YAML::Node& node);

// The audit rules, one line per architecture: a 64-bit kernel runs 32-bit
// programs too, and a rule for one arch does not see the other's syscalls.
// execveat is audited with execve: fexecve(3) and friends use it.
std::string render_audit_rules(const Audit& audit);

// /var/log/audit (root:adm 0750, as Debian's auditd package makes it), unless
// a persisted directory of the layout already covers it (the shipped layout
// persists /var/log). Empty without `exec: true`.
std::vector<plan::PersistEntry> persisted_paths(const Audit& audit, const spec::Layout& layout);

// auditd, augenrules and auditd.service (Debian package auditd).
const std::vector<features::RootfsRequirement>& rootfs_requirements();
std::string check_rootfs(const std::filesystem::path& tree);

// The rules file, and auditd.service enabled.
features::Staging staging(const Audit& audit);

} // namespace lethe::audit
