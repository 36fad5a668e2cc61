#pragma once
// What every feature gets when it stages itself into the image's tree. A
// feature is a folder under builder/features/ with a plan::FeaturePlan
// subclass; builder/features/registry.cpp lists them.

#include "exec/command_runner.hpp"
#include "plan/feature_plan.hpp"
#include "plan/plan.hpp"
#include "spec/yaml_reader.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lethe::features {

struct StageContext {
    std::filesystem::path rootfs; // the extracted tree, before the split
    const plan::Plan& plan;
    int64_t epoch; // timestamps of everything lethe writes
    exec::CommandRunner& runner;
    std::vector<std::string> units{}; // the units features installed, for the manifest
};

using Features = std::vector<std::shared_ptr<const plan::FeaturePlan>>;

// What a feature's planner is given: the whole recipe, its own section (null
// when the recipe does not name it), and the features planned before it in
// registry order (a firewall asks whether Tailscale is there).
struct PlanRequest {
    const spec::Recipe& recipe;
    const spec::Section* section;
    const Features& earlier;

    // The earlier feature of type T, or null.
    template <typename T> const T* find() const {
        for (const auto& feature : earlier)
            if (auto found = dynamic_cast<const T*>(feature.get())) return found;
        return nullptr;
    }
};

} // namespace lethe::features
