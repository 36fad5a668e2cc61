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

// The least a partition can take before its content is measured.
uint64_t least_size(const PartitionPlan& p) {
    if (p.size) return *p.size;
    return p.role == Role::esp ? esp_min_size : alignment;
}

void fail_too_small(const Plan& plan, uint64_t end, const char* at_least) {
    uint64_t needed = end + alignment; // room for the backup GPT, keeping the disk MiB-sized
    uint64_t disk = plan.disk_size_rule.bytes;
    fail_input("the partitions need {}{} ({} bytes with the GPT) but the disk is {} ({} bytes): raise disk.size in {}",
               at_least, human_size(needed), needed, human_size(disk), disk, plan.recipe_file);
}

} // namespace

bool is_placed(const Plan& plan) {
    if (!plan.disk_size) return false;
    for (const auto& p : plan.partitions)
        if (!p.offset || !p.size) return false;
    return true;
}

void place_partitions(Plan& plan, const ContentSizes& content) {
    uint64_t offset = alignment; // the protective MBR and primary GPT live in the first MiB
    bool known = true;           // every partition so far has a size, so this one has an offset
    for (auto& p : plan.partitions) {
        p.offset.reset();
        p.size.reset();
        switch (p.size_rule.rule) {
        case spec::SizeRule::fixed: p.size = align_up(p.size_rule.bytes); break;
        case spec::SizeRule::automatic: {
            auto it = content.find(p.name);
            if (it != content.end()) p.size = align_up(std::max<uint64_t>(it->second, alignment));
            break;
        }
        case spec::SizeRule::rest:
            if (known && plan.disk_size_rule.rule == spec::SizeRule::fixed) {
                uint64_t end = usable_end(plan.disk_size_rule.bytes);
                if (end <= offset)
                    fail_input("no space is left for partition '{}': the partitions before it end at {} and the disk is {}",
                               p.name, human_size(offset), human_size(plan.disk_size_rule.bytes));
                p.size = end - offset;
            }
            break;
        }
        if (!known || !p.size) {
            known = false;
            continue;
        }
        p.offset = offset;
        offset += *p.size;
    }
    plan.disk_size.reset();
    bool fixed_disk = plan.disk_size_rule.rule == spec::SizeRule::fixed;
    if (fixed_disk) plan.disk_size = plan.disk_size_rule.bytes;
    if (!known) {
        // Refuse a disk too small for what is known already, before anything is built.
        uint64_t least = alignment;
        for (auto& p : plan.partitions) {
            least += least_size(p);
            if (!p.offset) p.size.reset(); // a size without a place would read as placed
        }
        if (fixed_disk && least > usable_end(plan.disk_size_rule.bytes)) fail_too_small(plan, least, "at least ");
        return;
    }
    if (!fixed_disk) {
        plan.disk_size = offset + alignment;
        return;
    }
    if (offset > usable_end(plan.disk_size_rule.bytes)) fail_too_small(plan, offset, "");
}

} // namespace lethe::plan
