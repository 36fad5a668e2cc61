#include "features/tailscale/tailscale.hpp"

#include "stage/image_files.hpp"
#include "stage/template.hpp"
#include "stage/tree_root.hpp"
#include "stage/units.hpp"
#include "util/paths.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace lethe::features::tailscale {

using stage::has_entry;
using stage::install_file;
using stage::render_template;
using stage::set_times;
namespace {

// Resolved inside the rootfs, the last name not followed: a link counts as
// present; a regular file must be executable.
bool is_program(const fs::path& rootfs, const std::string& image_path) {
    auto st = stage::TreeRoot(rootfs).lstat(image_path);
    if (!st) return false;
    return S_ISLNK(st->st_mode) || (S_ISREG(st->st_mode) && (st->st_mode & 0111) != 0);
}

} // namespace

void check_tailscale_rootfs(const fs::path& rootfs) {
    if (!is_program(rootfs, "usr/bin/tailscale") && !is_program(rootfs, "usr/sbin/tailscale"))
        fail_input("the recipe enables tailscale but the rootfs has no tailscale CLI "
                   "(/usr/bin/tailscale): add the "
                   "tailscale package (from pkgs.tailscale.com) to the rootfs, or remove "
                   "'tailscale:' from the recipe");
    for (const char* dir : {"usr/lib/systemd/system", "lib/systemd/system", "etc/systemd/system"})
        if (has_entry(rootfs, std::string(dir) + "/tailscaled.service")) return;
    fail_input(
        "the recipe enables tailscale but the rootfs has no tailscaled.service (looked in "
        "/usr/lib/systemd/system, "
        "/lib/systemd/system and /etc/systemd/system): add the tailscale package to the rootfs");
}

std::shared_ptr<const plan::FeaturePlan> plan_tailscale(const PlanRequest& request) {
    if (!request.section) return nullptr;
    auto tailscale = std::make_shared<Tailscale>();
    tailscale->settings = parse_settings(*request.section->doc, request.section->node);
    tailscale->up_args = up_args(tailscale->settings);
    return tailscale;
}

nlohmann::ordered_json Tailscale::to_json() const {
    return {{"auth_key", settings.auth_key},
            {"up_args", up_args},
            {"unit", unit},
            {"files", {auth_key_file, up_args_file, script_file, decrypt_helper_file,
                       std::string("/etc/systemd/system/") + unit}},
            {"persisted", state_dir}};
}

// Tailscale keeps its node key in /var/lib/tailscale: without it, every boot
// would be a new node, and the auth key would be needed again.
std::vector<plan::PersistEntry> Tailscale::persisted() const {
    return {{state_dir, true, std::nullopt, std::nullopt, 0700}};
}

void Tailscale::stage(StageContext& context) const {
    context.units.push_back(install_tailscale(context.rootfs, *this, context.plan.persist_mount,
                                              data_path("templates/tailscale"), helper_program("lethe-decrypt", context.plan.target->helper_subdirectory),
                                              context.epoch));
}

std::string install_tailscale(const fs::path& rootfs, const Tailscale& tailscale, const std::string& persist_mount,
                              const fs::path& templates, const fs::path& decrypt_helper, int64_t epoch) {
    check_tailscale_rootfs(rootfs);
    const std::map<std::string, std::string> values = {
        {"AUTH_KEY_FILE", auth_key_file},
        {"UP_ARGS_FILE", up_args_file},
        {"DECRYPT_HELPER", decrypt_helper_file},
        {"SCRIPT_FILE", script_file},
        {"PERSIST_MOUNT", persist_mount},
    };
    // Ciphertext only: the plaintext never exists on the build machine.
    install_file(rootfs, auth_key_file, read_file(tailscale.settings.auth_key), 0644,
                 epoch);
    std::string flags;
    for (const auto& arg : tailscale.up_args) flags += arg + "\n";
    install_file(rootfs, up_args_file, flags, 0644, epoch);
    install_file(rootfs, decrypt_helper_file, read_file(decrypt_helper), 0755, epoch);
    const std::string script = "tailscale-autoconnect";
    install_file(rootfs, script_file,
                 render_template(read_file(templates / script), values, script), 0755, epoch);
    const std::string unit_name = unit;
    stage::install_unit(rootfs,
                 stage::parse_unit_template(unit_name, render_template(read_file(templates / unit_name),
                                                                values, unit_name)),
                 epoch);
    for (const char* dir : {"usr/lib/lethe/tailscale", "usr/lib/lethe"})
        set_times(rootfs, dir, epoch);
    spdlog::info("tailscale: {} enabled; {} flags for tailscale up", unit_name,
                 tailscale.up_args.size());
    return unit_name;
}

} // namespace lethe::features::tailscale
