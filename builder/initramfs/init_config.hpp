#pragma once
// What lethe-init must do for a plan: the init.conf it reads. The format
// and its renderer belong to lethe-init (initrd/init_config.hpp).

#include "initramfs/resolve.hpp"
#include "initrd/init_config.hpp"
#include "plan/plan.hpp"
#include "stage/split.hpp"

namespace lethe::initramfs {

init::InitConfig make_init_config(const plan::Plan& plan, const stage::SplitTree& tree,
                                  const InitrdModules& modules, bool image_has_e2fsck);

} // namespace lethe::initramfs
