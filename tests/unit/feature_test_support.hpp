#pragma once
// What the feature tests share: a recipe around a feature's section, its
// plan, the plan's feature of a type, an error's text, and staging one
// feature into a tree.

#include "exec/command_runner.hpp"
#include "features/feature.hpp"
#include "features/registry.hpp"
#include "plan/plan.hpp"
#include "test_support.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace lethe::test {

inline std::string recipe_text(const std::string& extra, const std::string& directories = "[/var/lib, /root/.ssh]") {
    return "name: t\nrootfs: {directory: /}\noutputs: [raw]\nlayout:\n"
           "  disk: {size: 1G, partitions: [{name: usr, type: usr, size: auto, filesystem: erofs},"
           " {name: persist, type: linux-generic, size: rest, filesystem: ext4}]}\n"
           "  root: {tmpfs: {size: 64M}}\n"
           "  persistence: {partition: persist, mount: /persist, directories: " +
           directories + "}\n" + extra;
}

inline plan::Plan plan_of(const std::string& extra, const std::string& directories = "[/var/lib, /root/.ssh]") {
    return features::make_plan(features::parse_recipe(recipe_text(extra, directories), "r.yaml"));
}

template <typename T> const T* feature(const plan::Plan& plan) {
    for (const auto& f : plan.features)
        if (auto found = dynamic_cast<const T*>(f.get())) return found;
    return nullptr;
}

inline std::string error_of(const std::string& extra, const std::string& directories = "[/var/lib, /root/.ssh]") {
    try {
        plan_of(extra, directories);
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::bad_input);
        return e.what();
    }
    FAIL("no error for:\n" << extra);
    return "";
}

// A rootfs with (or without) what Debian 12's systemd package ships for networkd.
inline void add_networkd(const std::filesystem::path& rootfs) {
    write(rootfs / "usr/lib/systemd/systemd-networkd", "#!/bin/true\n");
    write(rootfs / "usr/lib/systemd/system/systemd-networkd.service", "[Unit]\n");
    write(rootfs / "usr/bin/networkctl", "#!/bin/true\n");
}

inline const std::filesystem::path templates = lethe::test::source_dir() / "templates";

// Stages one feature into ROOTFS with a recording runner; returns the units it installed.
inline std::vector<std::string> stage_feature(const plan::FeaturePlan& feature, const std::filesystem::path& rootfs,
                                       exec::RecordingRunner& runner) {
    plan::Plan plan;
    features::StageContext context{rootfs, plan, 1700000000, runner};
    feature.stage(context);
    return context.units;
}

} // namespace lethe::test
