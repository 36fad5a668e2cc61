#include "initrd/fsck_status.hpp"

namespace lethe::init {

std::string describe_fsck_status(int status) {
    std::string text = std::to_string(status) + " (";
    if (status > 128) return text + "killed by signal " + std::to_string(status - 128) + ")";
    if (status == 0) return text + "no errors)";
    static constexpr struct {
        int bit;
        const char* meaning;
    } bits[] = {{1, "errors corrected"},         {2, "reboot advised"},
                {4, "errors left uncorrected"},  {8, "operational error"},
                {16, "usage or syntax error"},   {32, "canceled by user request"},
                {64, "unknown status bit"},      {128, "shared library error"}};
    const char* separator = "";
    for (const auto& [bit, meaning] : bits) {
        if ((status & bit) == 0) continue;
        text = text + separator + meaning;
        separator = ", ";
    }
    return text + ")";
}

bool fsck_passed(int status) { return status >= 0 && status <= 3; }

bool fsck_may_repair(int status) { return status > 3 && (status & ~(4 | 8)) == 0; }

} // namespace lethe::init
