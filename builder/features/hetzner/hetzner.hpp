#pragma once
// Hetzner Cloud's metadata service at boot (docs/hetzner.md), when the recipe
// says `hetzner: {metadata: true}`: the static lethe-metadata helper in
// /usr/lib/lethe and lethe-hetzner-metadata.service, enabled, which apply the
// server's IPv6 address and SSH keys. They need systemd-networkd (the unit
// writes a .network file and reloads it), so a rootfs without it is refused.

#include "features/feature.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace lethe::features::hetzner {

inline constexpr const char* metadata_helper_file = "/usr/lib/lethe/lethe-metadata";
inline constexpr const char* unit = "lethe-hetzner-metadata.service";
// Written at boot, in /run: a disk restored onto another server gets that server's address.
inline constexpr const char* network_file = "/run/systemd/network/10-lethe-hetzner.network";
inline constexpr const char* authorized_keys = "/root/.ssh/authorized_keys";

class Hetzner final : public plan::FeaturePlan {
public:
    std::string metadata_url = "http://169.254.169.254/hetzner/v1/metadata";

    std::string_view key() const override { return "hetzner"; }
    nlohmann::ordered_json to_json() const override;
    std::vector<std::string> helper_programs() const override { return {"lethe-metadata"}; }
    void stage(StageContext& context) const override;
};

// Refuses, at the `metadata:` key, a layout that does not persist /root/.ssh:
// the SSH keys the service hands out would vanish at the next boot.
std::shared_ptr<const plan::FeaturePlan> plan_hetzner(const PlanRequest& request);

// Refuses (exit status 2) a rootfs without systemd-networkd or networkctl.
void check_hetzner_rootfs(const std::filesystem::path& rootfs);

// Installs the helper and the unit rendered from `templates`
// (templates/hetzner), and makes /root/.ssh (0700) so that a layout that
// persists all of /root carries it too. Returns the unit's name.
std::string install_hetzner_metadata(const std::filesystem::path& rootfs, const Hetzner& hetzner,
                                     const std::filesystem::path& templates,
                                     const std::filesystem::path& metadata_helper, int64_t epoch);

} // namespace lethe::features::hetzner
