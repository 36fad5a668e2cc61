#include "features/firewall/staging.hpp"

#include "features/firewall/ruleset.hpp"
#include "stage/template.hpp"

namespace lethe::firewall {

const std::vector<features::RootfsRequirement>& rootfs_requirements() {
    static const std::vector<features::RootfsRequirement> requirements = {
        {features::RootfsRequirement::Kind::program, {"/usr/sbin/nft", "/usr/bin/nft"}, "nftables"},
        // lethe-firewall.service orders itself after it: Debian's own
        // /etc/nftables.conf begins with `flush ruleset`.
        {features::RootfsRequirement::Kind::file,
         {"/usr/lib/systemd/system/nftables.service", "/lib/systemd/system/nftables.service"},
         "nftables"},
    };
    return requirements;
}

std::string check_rootfs(const std::filesystem::path& tree) {
    return features::unmet_requirement(tree, rootfs_requirements(), "firewall");
}

features::Staging staging(const FirewallPlan& plan, const std::string& unit_template) {
    features::Staging out;
    out.files.push_back({ruleset_file, render_ruleset(plan), 0644});
    if (std::string sysctl = render_forwarding_sysctl(plan); !sysctl.empty())
        out.files.push_back({forwarding_sysctl_file, sysctl, 0644});
    out.units.push_back(
        {unit_name, stage::render_template(unit_template, {{"RULESET", ruleset_file}}, unit_name)});
    return out;
}

} // namespace lethe::firewall
