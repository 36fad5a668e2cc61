#pragma once
// How exposed each service of the image is, as systemd rates it:
// `systemd-analyze security --offline=yes --root=TREE` (systemd 252 reads
// the unit files of the staged tree, runs nothing). The manifest records the
// scores; the build log names the most exposed (docs/security.md says how to
// tighten a service with a drop-in).

#include "exec/command_runner.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lethe::stage {

struct Exposure {
    std::string unit;
    double score = 0;   // 0.0 (locked down) to 10.0 (fully exposed)
    std::string rating; // OK, MEDIUM, EXPOSED, UNSAFE
};

// The services the image starts: every *.service linked from a .wants/
// directory of /etc/systemd/system or /usr/lib/systemd/system whose unit
// file the tree has, sorted. Links are read, never followed (in a rootfs
// they point into the build host).
std::vector<std::string> enabled_services(const std::filesystem::path& tree);

// The command, in the C locale so its output is plain ASCII ("-> Overall
// exposure level for ssh.service: 9.6 UNSAFE :-{").
exec::Command exposure_command(const std::filesystem::path& tree,
                               const std::vector<std::string>& units);

// The "Overall exposure level" lines of that output, in order; both the C
// locale's "->" and UTF-8's arrow are read.
std::vector<Exposure> parse_exposure(const std::string& output);

// Runs the command and parses it. When it fails, or leaves a unit unrated
// (one unit systemd cannot load fails the whole list), each unit is rated on
// its own, and one that still gets no score is left out with a warning: the
// report must not fail a build that is otherwise sound.
std::vector<Exposure> measure_exposure(exec::CommandRunner& runner,
                                       const std::filesystem::path& tree,
                                       const std::vector<std::string>& units);

// The N most exposed, highest first (ties by name).
std::vector<Exposure> most_exposed(std::vector<Exposure> exposures, size_t count);

} // namespace lethe::stage
