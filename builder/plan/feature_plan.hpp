#pragma once
// An optional image feature's share of the plan (DHCP networking, Tailscale,
// Hetzner metadata, ...). Each feature lives in its own folder under
// builder/features/ and is listed once in builder/features/registry.cpp; the
// plan holds the features a recipe turns on and knows none of them by name.

#include "exec/tool.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::features {
struct StageContext; // builder/features/feature.hpp: the staged tree a feature installs into
}

namespace lethe::plan {

struct PersistEntry {
    std::string path; // absolute path in the running system
    bool directory = true;
    std::optional<std::string> user; // unset: as in the rootfs, else root
    std::optional<std::string> group;
    std::optional<uint32_t> mode;
    std::vector<std::string> options{}; // set on the bind mount: noexec, nosuid, nodev, ro
};

// A file a feature publishes beside the disk (NAME.hcloud-firewall.json).
struct OutputFile {
    std::string name; // in the output directory
    std::string content;
};

class FeaturePlan {
public:
    virtual ~FeaturePlan() = default;

    // Its recipe key, which is also its key in `lethe plan`.
    virtual std::string_view key() const = 0;
    virtual nlohmann::ordered_json to_json() const = 0;

    // Paths the image must persist for the feature to work (merged into the
    // persistence manifest unless the layout already covers them).
    virtual std::vector<PersistEntry> persisted() const { return {}; }
    // Kernel modules the initrd must load for it (e.g. dm-verity's), after the filesystems'.
    virtual std::vector<std::string> initrd_modules() const { return {}; }
    // Tools the build host needs for its staging, checked before anything is staged.
    virtual std::vector<exec::Tool> host_tools() const { return {}; }
    // Files published with the disk, all together with it (outputs/publish.hpp).
    virtual std::vector<OutputFile> output_files(const std::string& /*image_name*/) const { return {}; }
    // lethe's static helper programs (lethe-decrypt, ...) it puts into the image.
    virtual std::vector<std::string> helper_programs() const { return {}; }

    // Checks the rootfs and installs the feature's files and units into it,
    // before the tree is split (so its files land in the read-only /usr and
    // its units in the factory /etc).
    virtual void stage(features::StageContext& context) const = 0;
};

} // namespace lethe::plan
