#pragma once
// What a feature puts into the image, as values: the staging step writes
// them into the tree before the split (so /usr files land in the read-only
// OS, /etc files in the factory /etc), and installs and enables the units.

#include <string>
#include <vector>

namespace lethe::features {

struct StageContext;

struct StagedFile {
    std::string path; // absolute, as in the image
    std::string content;
    unsigned mode = 0644;
};

struct StagedUnit {
    std::string name; // e.g. lethe-firewall.service; enabled through its [Install] section
    std::string text;
};

struct Staging {
    std::vector<StagedFile> files;
    std::vector<StagedUnit> units;
    std::vector<std::string>
        enable; // units of the rootfs itself to enable (systemctl --root enable)
};

// Refuses (exit status 2) with REFUSAL unless it is empty: what a feature's
// check_rootfs returns.
void require_rootfs(const std::string& refusal);

// Writes the files (stamped with the build's epoch), installs and enables the
// units, and enables the rootfs's own units STAGING names; every unit goes
// into CONTEXT.units, for the manifest.
void install_staging(StageContext& context, const Staging& staging);

} // namespace lethe::features
