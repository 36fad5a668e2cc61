#pragma once
// Golden-image hygiene: removing what identifies one machine (host keys,
// machine-id, random seed) or records its past (logs, apt lists) from the
// staged rootfs, as listed in templates/scrub.rules.

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::stage {

struct ScrubRule {
    enum class Action {
        remove, // delete every match (a directory with its content)
        empty,  // truncate a regular file to zero bytes, keeping it
        uninitialize, // write "uninitialized" into a regular file: machine-id(5)'s first-boot marker
        clear,  // delete every file below a directory, keeping it and its subdirectories
    };
    Action action = Action::remove;
    std::string pattern; // relative to the rootfs; '*', '?' and '[...]' in any component
    std::string origin;  // "templates/scrub.rules:12", for messages
};

// One rule a line: ACTION PATTERN, with '#' starting a comment (at the start
// of a line or after blanks). Patterns are relative paths without '..'.
// A bad line fails (exit status 2) with "origin_name:line: ...".
std::vector<ScrubRule> parse_scrub_rules(const std::string& text, const std::string& origin_name);

struct ScrubResult {
    std::vector<std::string> removed; // relative to the rootfs, sorted; emptied files included
};

// Applies the rules inside `rootfs` without following any symlink: a symlink
// matched by a rule is removed itself, and one standing where a directory of
// a pattern is expected is not walked through, so nothing outside the rootfs
// is touched. Patterns matching nothing are fine (not every image has sshd).
ScrubResult scrub_instance_identity(const std::filesystem::path& rootfs, const std::vector<ScrubRule>& rules);

} // namespace lethe::stage
