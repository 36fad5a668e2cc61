#pragma once
// /usr/lib/lethe/ssh/sshd_config, rendered from the plan.
//
// sshd keeps the first value it reads for a keyword, and for each connection
// it reads the Match blocks that apply, again keeping the first value. So the
// file sets the lockdown first, then opens a `Match all` block that sets it
// again, and only inside that block includes the instance's own files from
// the persisted /etc/ssh/sshd_config.d: they can add settings (AllowUsers,
// ClientAliveInterval...), never loosen the lockdown, not even with a Match
// block of their own (sshd -T -C checks this in the unit tests).
//
// Debian's stock /etc/ssh/sshd_config is not read: it is the persisted copy
// of whichever image first made the partition, and its `Subsystem sftp` line
// would clash with this file's (sshd refuses a subsystem defined twice, and
// has no way to remove one), so `sftp: false` could not hold. The settings
// Debian's file makes are made here instead.

#include "features/ssh/ssh.hpp"

#include <string>
#include <vector>

namespace lethe::ssh {

// Where the rendered file points; tests point them at a scratch directory.
struct SshdPaths {
    std::string host_key_directory = ssh::host_key_directory;
    std::string local_config_glob = ssh::local_config_glob;
};

std::string render_sshd_config(const SshPlan& plan, const SshdPaths& paths = {});

// /etc/ssh/ssh_host_ed25519_key, ... in the order of host_key_types.
std::vector<std::string> host_key_files(const SshPlan& plan,
                                        const std::string& directory = host_key_directory);

} // namespace lethe::ssh
