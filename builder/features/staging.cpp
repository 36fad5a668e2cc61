#include "features/staging.hpp"

#include "features/feature.hpp"

#include "stage/image_files.hpp"
#include "stage/units.hpp"
#include "util/error.hpp"

#include <spdlog/spdlog.h>

namespace lethe::features {

void require_rootfs(const std::string& refusal) {
    if (!refusal.empty()) fail_input("{}", refusal);
}

void install_staging(StageContext& context, const Staging& staging) {
    for (const auto& file : staging.files)
        stage::install_file(context.rootfs, file.path, file.content, file.mode, context.epoch);
    for (const auto& unit : staging.units) {
        stage::install_unit(context.rootfs, stage::parse_unit_template(unit.name, unit.text), context.epoch);
        context.units.push_back(unit.name);
    }
    // The rootfs's own units, enabled as `systemctl enable` would, inside the
    // tree (--root resolves every path there).
    for (const auto& name : staging.enable) {
        context.runner.run({{"systemctl", "--root=" + context.rootfs.string(), "--quiet", "enable", name}});
        context.units.push_back(name);
    }
}

} // namespace lethe::features
