#include "exec/tool.hpp"

#include "exec/command_runner.hpp"
#include "util/error.hpp"

#include <algorithm>

namespace lethe::exec {

void require_tools(const std::vector<Tool>& tools) {
    std::vector<Tool> missing;
    for (const auto& tool : tools)
        if (!tool_exists(tool.program) && std::find(missing.begin(), missing.end(), tool) == missing.end())
            missing.push_back(tool);
    if (missing.empty()) return;
    std::string list;
    for (const auto& tool : missing) list += fmt::format("\n  {} (Debian package {})", tool.program, tool.package);
    fail("missing tools:{}", list);
}

} // namespace lethe::exec
