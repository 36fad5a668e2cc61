#include "plan/plan.hpp"

#include "util/error.hpp"
#include "util/size.hpp"

namespace lethe::plan {
namespace {

uint64_t align_up(uint64_t value) { return (value + alignment - 1) / alignment * alignment; }
uint64_t align_down(uint64_t value) { return value / alignment * alignment; }

// The backup GPT takes the last 33 sectors; with 1 MiB alignment the last
// partition ends at least that far from the end of the disk.
constexpr uint64_t backup_gpt_bytes = 33 * 512;

uint64_t usable_end(uint64_t disk_size) { return align_down(disk_size - backup_gpt_bytes); }

} // namespace

bool is_placed(const Plan& plan) {
    if (!plan.disk_size) return false;
    for (const auto& p : plan.partitions)
        if (!p.offset || !p.size) return false;
    return true;
}

void place_partitions(Plan& plan, const ContentSizes& content) {
    uint64_t offset = alignment; // the protective MBR and primary GPT live in the first MiB
    bool known = true;
    for (auto& p : plan.partitions) {
        p.offset.reset();
        p.size.reset();
        if (!known) continue;
        switch (p.size_rule.rule) {
        case spec::SizeRule::fixed: p.size = align_up(p.size_rule.bytes); break;
        case spec::SizeRule::automatic: {
            auto it = content.find(p.name);
            if (it != content.end()) p.size = align_up(std::max<uint64_t>(it->second, alignment));
            break;
        }
        case spec::SizeRule::rest:
            if (plan.disk_size_rule.rule == spec::SizeRule::fixed) {
                uint64_t end = usable_end(plan.disk_size_rule.bytes);
                if (end <= offset)
                    fail_input("no space is left for partition '{}': the partitions before it end at {} and the disk is {}",
                               p.name, human_size(offset), human_size(plan.disk_size_rule.bytes));
                p.size = end - offset;
            }
            break;
        }
        if (!p.size) {
            known = false;
            continue;
        }
        p.offset = offset;
        offset += *p.size;
    }
    plan.disk_size.reset();
    if (plan.disk_size_rule.rule == spec::SizeRule::fixed) plan.disk_size = plan.disk_size_rule.bytes;
    if (!known) return;
    uint64_t needed = offset + alignment; // room for the backup GPT, keeping the disk MiB-sized
    if (plan.disk_size_rule.rule == spec::SizeRule::automatic) {
        plan.disk_size = needed;
        return;
    }
    uint64_t disk = plan.disk_size_rule.bytes;
    if (offset > usable_end(disk))
        fail_input("the partitions need {} ({} bytes with the GPT) but the disk is {} ({} bytes): raise disk.size in {}",
                   human_size(needed), needed, human_size(disk), disk, plan.recipe_file);
    plan.disk_size = disk;
}

} // namespace lethe::plan
