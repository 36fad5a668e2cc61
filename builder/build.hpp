#pragma once

#include <string>

namespace lethe {

struct BuildOptions {
    std::string recipe;
    std::string output_dir;
    std::string cache_dir; // empty: stage::default_cache_dir()
    std::string work_dir;  // empty: OUTPUT/.lethe-work-NAME
    bool keep_work = false;
};

// spec -> plan -> stage the tree -> initrd + ESP -> filesystems -> partition table -> outputs
void build(const BuildOptions& options);

} // namespace lethe
