#pragma once
// Tailscale enrolment on an instance's first boot (docs/tailscale.md): checks
// that the rootfs has Tailscale, then puts in what
// tailscale-autoconnect.service needs. Staged before the split, so all of it
// lands in the read-only /usr (and the unit in the factory /etc).

#include "features/feature.hpp"
#include "features/tailscale/settings.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lethe::features::tailscale {

// Where the image keeps them; all under /usr, so read-only at run time.
inline constexpr const char* auth_key_file = "/usr/lib/lethe/tailscale/auth-key.age";
inline constexpr const char* up_args_file = "/usr/lib/lethe/tailscale/up-args";
inline constexpr const char* script_file = "/usr/lib/lethe/tailscale-autoconnect";
inline constexpr const char* decrypt_helper_file = "/usr/lib/lethe/lethe-decrypt";
inline constexpr const char* unit = "tailscale-autoconnect.service";
// tailscaled's state: persisted, so the node logs in once per instance.
inline constexpr const char* state_dir = "/var/lib/tailscale";

class Tailscale final : public plan::FeaturePlan {
public:
    Settings settings;
    std::vector<std::string> up_args; // flags of `tailscale up`, one a line in the up-args file

    std::string_view key() const override { return "tailscale"; }
    nlohmann::ordered_json to_json() const override;
    std::vector<plan::PersistEntry> persisted() const override;
    std::vector<std::string> helper_programs() const override { return {"lethe-decrypt"}; }
    void stage(StageContext& context) const override;
};

std::shared_ptr<const plan::FeaturePlan> plan_tailscale(const PlanRequest& request);

// Refuses (exit status 2) a rootfs without an executable tailscale CLI in
// usr/bin or usr/sbin, or without a tailscaled.service unit file.
void check_tailscale_rootfs(const std::filesystem::path& rootfs);

// Checks the rootfs, then installs the encrypted key (byte for byte), the
// up-args file, lethe-decrypt, the tailscale-autoconnect script and its unit
// (enabled), from `templates` (templates/tailscale). Returns the unit's name.
std::string install_tailscale(const std::filesystem::path& rootfs, const Tailscale& tailscale,
                              const std::string& persist_mount, const std::filesystem::path& templates,
                              const std::filesystem::path& decrypt_helper, int64_t epoch);

} // namespace lethe::features::tailscale
