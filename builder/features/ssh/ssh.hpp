#pragma once
// The recipe's `ssh:` (docs/security.md): an sshd lockdown whose defaults are
// those of the seeds (NixOS's services.openssh settings, in snake_case).
// /etc/ssh is persisted (it holds the instance's host keys), so a config file
// there would be the first image's forever: the posture lives in the image
// instead, in /usr/lib/lethe/ssh/sshd_config, which ssh.service runs sshd
// with (`-f`, through a drop-in).

#include "spec/model.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lethe::ssh {

inline constexpr const char* sshd_config_file = "/usr/lib/lethe/ssh/sshd_config";
inline constexpr const char* service_dropin_file =
    "/usr/lib/systemd/system/ssh.service.d/lethe-posture.conf";
inline constexpr const char* keygen_dropin_file =
    "/usr/lib/systemd/system/lethe-ssh-keygen.service.d/lethe-host-key-types.conf";
// Seeds the persistent partition's /etc/ssh/sshd_config on an instance's first
// boot: a pointer to the image's file, so a bare `sshd -T` tells the truth.
inline constexpr const char* persisted_config_file = "/etc/ssh/sshd_config";
// Where the instance's own additions go: read after the lockdown, which wins.
inline constexpr const char* local_config_glob = "/etc/ssh/sshd_config.d/*.conf";
inline constexpr const char* host_key_directory = "/etc/ssh";

// The section as written.
struct Ssh {
    bool password_authentication = false;
    bool kbd_interactive_authentication = false;
    std::string permit_root_login =
        "prohibit-password"; // yes, no, prohibit-password, forced-commands-only
    bool x11_forwarding = false;
    bool allow_agent_forwarding = false;
    bool allow_tcp_forwarding = false;
    bool allow_stream_local_forwarding = false;
    std::string authentication_methods =
        "publickey"; // sshd's syntax: "publickey,password publickey"
    bool sftp = true;
    std::optional<bool> open_to_public; // `public:`; unset: false with tailscale, else true
    // ed25519 only by default: an RSA key takes seconds to make under TCG,
    // on the instance's first boot.
    std::vector<std::string> host_key_types = {"ed25519"};
    spec::Origin origin{};        // of `ssh:`
    spec::Origin public_origin{}; // of `public:`
};

// The section resolved against the recipe.
struct SshPlan {
    Ssh settings;
    bool open_to_public = true; // port 22 in the public firewall rules
    bool public_written = false;
};

} // namespace lethe::ssh
