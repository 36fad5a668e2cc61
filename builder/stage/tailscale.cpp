#include "stage/tailscale.hpp"

#include "stage/image_files.hpp"
#include "stage/tree_root.hpp"
#include "stage/units.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <regex>
#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

// Resolved inside the rootfs, the last name not followed: a link counts as
// present; a regular file must be executable.
bool is_program(const fs::path& rootfs, const std::string& image_path) {
    auto st = TreeRoot(rootfs).lstat(image_path);
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

std::string render_template(const std::string& text,
                            const std::map<std::string, std::string>& values,
                            const std::string& name) {
    std::string out = text;
    for (const auto& [key, value] : values) {
        std::string marker = "@" + key + "@";
        for (size_t at = out.find(marker); at != std::string::npos;
             at = out.find(marker, at + value.size()))
            out.replace(at, marker.size(), value);
    }
    std::smatch left;
    static const std::regex placeholder("@[A-Z_]+@");
    if (std::regex_search(out, left, placeholder))
        fail("internal error: template {} has {}, which lethe does not fill in", name, left.str());
    return out;
}

std::string install_tailscale(const fs::path& rootfs, const plan::Plan& plan,
                              const fs::path& templates, const fs::path& decrypt_helper,
                              int64_t epoch) {
    if (!plan.tailscale) fail("internal error: install_tailscale without tailscale in the plan");
    check_tailscale_rootfs(rootfs);
    const std::map<std::string, std::string> values = {
        {"AUTH_KEY_FILE", plan::tailscale_auth_key_file},
        {"UP_ARGS_FILE", plan::tailscale_up_args_file},
        {"DECRYPT_HELPER", plan::decrypt_helper_file},
        {"SCRIPT_FILE", plan::tailscale_script_file},
        {"PERSIST_MOUNT", plan.persist_mount},
    };
    // Ciphertext only: the plaintext never exists on the build machine.
    install_file(rootfs, plan::tailscale_auth_key_file, read_file(plan.tailscale->auth_key), 0644,
                 epoch);
    std::string up_args;
    for (const auto& arg : plan.tailscale->up_args)
        up_args += arg + "\n";
    install_file(rootfs, plan::tailscale_up_args_file, up_args, 0644, epoch);
    install_file(rootfs, plan::decrypt_helper_file, read_file(decrypt_helper), 0755, epoch);
    const std::string script = "tailscale-autoconnect";
    install_file(rootfs, plan::tailscale_script_file,
                 render_template(read_file(templates / script), values, script), 0755, epoch);
    const std::string unit_name = plan::tailscale_unit;
    install_unit(rootfs,
                 parse_unit_template(unit_name, render_template(read_file(templates / unit_name),
                                                                values, unit_name)),
                 epoch);
    for (const char* dir : {"usr/lib/lethe/tailscale", "usr/lib/lethe"})
        set_times(rootfs, dir, epoch);
    spdlog::info("tailscale: {} enabled; {} flags for tailscale up", unit_name,
                 plan.tailscale->up_args.size());
    return unit_name;
}

} // namespace lethe::stage
