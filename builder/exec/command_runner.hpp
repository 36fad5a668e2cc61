#pragma once
// The one seam through which lethe runs external tools (mke2fs, mkfs.erofs,
// qemu-img, mmdebstrap...). The build logic takes a CommandRunner&, so tests
// substitute a RecordingRunner and check the exact command lines.

#include <map>
#include <string>
#include <vector>

namespace lethe::exec {

struct Command {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env{}; // added to the inherited environment
    std::string cwd{};                        // empty: inherit
    std::string stdout_path{};                // empty: capture; else redirect stdout to this file
    bool merge_stderr = false;                // stderr into the captured output (tools that report errors there)
};

// "mke2fs -t ext4 -d 'dir with space' out.img", for logs and errors.
std::string to_string(const Command& command);

class CommandRunner {
public:
    virtual ~CommandRunner() = default;
    // Runs the command to completion and returns its standard output. A
    // non-zero exit or death by signal throws lethe::Error (status 1) naming
    // the command and the last lines of its standard error.
    virtual std::string run(const Command& command) = 0;
};

// Runs commands for real with posix_spawnp.
class SystemRunner final : public CommandRunner {
public:
    std::string run(const Command& command) override;
};

// Records commands without running them; answers with canned output.
class RecordingRunner final : public CommandRunner {
public:
    std::string run(const Command& command) override {
        commands.push_back(command);
        return canned_output;
    }
    std::vector<Command> commands;
    std::string canned_output;
};

// Is `name` an executable on PATH?
bool tool_exists(const std::string& name);

} // namespace lethe::exec
