#include "features/ssh/staging.hpp"

#include "features/ssh/sshd_config.hpp"
#include "stage/template.hpp"
#include "util/file.hpp"

namespace lethe::ssh {

using Kind = features::RootfsRequirement::Kind;

const std::vector<features::RootfsRequirement>& rootfs_requirements() {
    static const std::vector<features::RootfsRequirement> requirements = {
        {Kind::program, {"/usr/sbin/sshd"}, "openssh-server"},
        {Kind::file,
         {"/usr/lib/systemd/system/ssh.service", "/lib/systemd/system/ssh.service"},
         "openssh-server"},
        {Kind::program, {"/usr/bin/ssh-keygen"}, "openssh-client"},
    };
    return requirements;
}

std::string check_rootfs(const std::filesystem::path& tree) {
    return features::unmet_requirement(tree, rootfs_requirements(), "ssh");
}

Templates read_templates(const std::filesystem::path& directory) {
    return {read_file(directory / "ssh.service.d/lethe-posture.conf"),
            read_file(directory / "lethe-ssh-keygen.service.d/lethe-host-key-types.conf"),
            read_file(directory / "sshd_config")};
}

features::Staging staging(const SshPlan& plan, const Templates& templates) {
    std::string types;
    for (const auto& type : plan.settings.host_key_types)
        types += (types.empty() ? "" : " ") + type;
    std::string conditions;
    for (const auto& key : host_key_files(plan))
        conditions += (conditions.empty() ? "" : "\n") + ("ConditionPathExists=|!" + key);
    const std::map<std::string, std::string> values = {
        {"KEY_CONDITIONS", conditions},
        {"SSHD_CONFIG", sshd_config_file},
        {"HOST_KEY_TYPES", types},
        {"HOST_KEY_DIRECTORY", host_key_directory},
    };
    features::Staging out;
    out.files.push_back({sshd_config_file, render_sshd_config(plan), 0644});
    out.files.push_back(
        {service_dropin_file,
         stage::render_template(templates.service_dropin, values, service_dropin_file), 0644});
    out.files.push_back(
        {keygen_dropin_file,
         stage::render_template(templates.keygen_dropin, values, keygen_dropin_file), 0644});
    out.files.push_back(
        {persisted_config_file,
         stage::render_template(templates.persisted_config, values, persisted_config_file), 0644});
    return out;
}

} // namespace lethe::ssh
