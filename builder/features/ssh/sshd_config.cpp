#include "features/ssh/sshd_config.hpp"

#include <fmt/format.h>

namespace lethe::ssh {
namespace {

const char* yes_no(bool value) {
    return value ? "yes" : "no";
}

// The keywords the recipe decides, in sshd_config(5)'s spelling. All of them
// may appear in a Match block, so the same lines serve both places.
std::vector<std::pair<std::string, std::string>> lockdown(const Ssh& s) {
    std::vector<std::pair<std::string, std::string>> settings = {
        {"PasswordAuthentication", yes_no(s.password_authentication)},
        {"KbdInteractiveAuthentication", yes_no(s.kbd_interactive_authentication)},
        {"PermitRootLogin", s.permit_root_login},
        {"X11Forwarding", yes_no(s.x11_forwarding)},
        {"AllowAgentForwarding", yes_no(s.allow_agent_forwarding)},
        {"AllowTcpForwarding", yes_no(s.allow_tcp_forwarding)},
        {"AllowStreamLocalForwarding", yes_no(s.allow_stream_local_forwarding)},
    };
    // "any" is sshd's default, and sshd 9.2 refuses it when the keyword has
    // a value already ("must appear alone"), so it is not written at all: the
    // instance's files may then narrow it, within the methods turned on above.
    if (s.authentication_methods != "any")
        settings.push_back({"AuthenticationMethods", s.authentication_methods});
    return settings;
}

std::string lines(const std::vector<std::pair<std::string, std::string>>& settings,
                  const char* indent) {
    std::string out;
    for (const auto& [keyword, value] : settings)
        out += fmt::format("{}{} {}\n", indent, keyword, value);
    return out;
}

} // namespace

std::vector<std::string> host_key_files(const SshPlan& plan, const std::string& directory) {
    std::vector<std::string> files;
    for (const auto& type : plan.settings.host_key_types)
        files.push_back(fmt::format("{}/ssh_host_{}_key", directory, type));
    return files;
}

std::string render_sshd_config(const SshPlan& plan, const SshdPaths& paths) {
    std::string out = fmt::format(
        "# Rendered by lethe from the recipe's ssh: section. ssh.service runs sshd with\n"
        "# `-f {}` (ssh.service.d/lethe-posture.conf): the posture comes from\n"
        "# the image, not from the persisted /etc/ssh. Check it with\n"
        "#   sshd -T -f {}\n"
        "# sshd keeps the first value it reads: the lockdown comes first.\n",
        sshd_config_file, sshd_config_file);
    out += lines(lockdown(plan.settings), "");
    out += "# Host keys: made on the instance's first boot, kept on the persistent partition.\n";
    for (const auto& file : host_key_files(plan, paths.host_key_directory))
        out += "HostKey " + file + "\n";
    out += "# What Debian's stock sshd_config sets, which this file replaces.\n"
           "UsePAM yes\n"
           "PrintMotd no\n"
           "AcceptEnv LANG LC_*\n";
    // internal-sftp: in sshd itself, so it needs no openssh-sftp-server
    // package (a Recommends, absent from minbase) and no executable file.
    if (plan.settings.sftp) out += "Subsystem sftp internal-sftp\n";
    out += "# The same lockdown again, first in the one Match block every connection\n"
           "# reads, before this instance's own files: a Match block of theirs cannot\n"
           "# loosen it either. Nothing may follow the Include: it is inside the block.\n"
           "Match all\n";
    out += lines(lockdown(plan.settings), "\t");
    out += "\tInclude " + paths.local_config_glob + "\n";
    return out;
}

} // namespace lethe::ssh
