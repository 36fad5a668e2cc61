#pragma once
// What `ssh:` needs of the rootfs, and what it puts into the image.

#include "features/requirement.hpp"
#include "features/ssh/ssh.hpp"
#include "features/staging.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::ssh {

// sshd and its ssh.service (openssh-server), ssh-keygen (openssh-client).
const std::vector<features::RootfsRequirement>& rootfs_requirements();

// "" when the staged tree has them; else the refusal naming the package.
std::string check_rootfs(const std::filesystem::path& tree);

// templates/ssh: the drop-ins and the pointer file, as text.
struct Templates {
    std::string service_dropin;   // ssh.service.d/lethe-posture.conf
    std::string keygen_dropin;    // lethe-ssh-keygen.service.d/lethe-host-key-types.conf
    std::string persisted_config; // sshd_config
};
Templates read_templates(const std::filesystem::path& directory);

// The image's sshd_config, the two drop-ins (in /usr/lib/systemd/system, so
// they apply to ssh.service and lethe-ssh-keygen.service wherever those
// live), and the pointer that seeds a new partition's /etc/ssh/sshd_config.
features::Staging staging(const SshPlan& plan, const Templates& templates);

} // namespace lethe::ssh
