#pragma once
// Tailscale enrolment in the staged tree (docs/tailscale.md): checks that the
// rootfs has Tailscale, then puts in what tailscale-autoconnect.service needs
// on the instance's first boot. Runs before the split, so all of it lands in
// the read-only /usr (and the unit in the factory /etc).

#include "plan/plan.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lethe::stage {

// Refuses (exit status 2) a rootfs without an executable tailscale CLI in
// usr/bin or usr/sbin, or without a tailscaled.service unit file.
void check_tailscale_rootfs(const std::filesystem::path& rootfs);

// Replaces each @NAME@ of `text` by its value; an @NAME@ left over is an
// internal error, so a template and the builder cannot drift apart quietly.
std::string render_template(const std::string& text,
                            const std::map<std::string, std::string>& values,
                            const std::string& name);

// Checks the rootfs, then installs the encrypted key (byte for byte), the
// up-args file, lethe-decrypt, the tailscale-autoconnect script and its unit
// (enabled), from `templates` (templates/tailscale). Returns the unit's name.
std::string install_tailscale(const std::filesystem::path& rootfs, const plan::Plan& plan,
                              const std::filesystem::path& templates,
                              const std::filesystem::path& decrypt_helper, int64_t epoch);

} // namespace lethe::stage
