#pragma once
// The recipe's `audit:` (docs/security.md): `audit: {exec: true}` audits
// every execve, the seed's `-a exit,always -F arch=b64 -S execve` (NixOS's
// security.audit.rules), for 64- and 32-bit programs alike.

#include "spec/model.hpp"

namespace lethe::audit {

// In /etc, which every boot makes afresh from the image's factory copy
// (/usr/share/factory/etc, docs/boot.md): the rules come from the image, never
// from an earlier boot. auditd.service's `augenrules --load` merges them with
// the rootfs's own rules.d files into /etc/audit/audit.rules at every boot.
inline constexpr const char* rules_file = "/etc/audit/rules.d/50-lethe-exec.rules";
// `ausearch -k lethe-exec` finds the records.
inline constexpr const char* rules_key = "lethe-exec";
// auditd's log, persisted so the record of what ran survives the reboot an
// intruder might use to wipe it.
inline constexpr const char* log_directory = "/var/log/audit";

struct Audit {
    bool exec = false;
    spec::Origin origin{};
};

} // namespace lethe::audit
