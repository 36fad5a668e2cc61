#pragma once
// NAME.manifest.json: what went into an image, for audits and for telling
// two builds apart.

#include "plan/plan.hpp"
#include "stage/exposure.hpp"
#include "stage/packages.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace lethe::outputs {

struct Manifest {
    plan::Plan plan;
    std::string recipe_sha256;
    std::string rootfs_sha256;
    std::string kernel_version;
    int64_t source_date_epoch = 0;
    std::vector<std::string> initrd_modules;
    std::map<std::string, std::string> boot_loaders; // path on the ESP -> sha256 of the host's file
    std::vector<std::string> units;    // lethe's units installed in the image
    std::vector<std::string> scrubbed; // instance identity removed from the rootfs
    std::vector<stage::Exposure> exposure; // every enabled service, as systemd-analyze security rates it
    std::vector<stage::Package> packages;
};

nlohmann::ordered_json to_json(const Manifest& manifest);

} // namespace lethe::outputs
