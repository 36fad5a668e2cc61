#include "outputs/disk_image.hpp"

#include "part/partition_table.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/size.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace lethe::outputs {
namespace {

part::TableSpec table_for(const plan::Plan& plan) {
    part::TableSpec table;
    table.disk_uuid = plan.disk_uuid;
    table.disk_size = *plan.disk_size;
    for (const auto& p : plan.partitions)
        table.partitions.push_back({p.name, p.type_guid, p.uuid, *p.offset, *p.size, p.attributes});
    return table;
}

} // namespace

void assemble_disk(const std::filesystem::path& disk, const plan::Plan& plan,
                   const std::map<std::string, std::filesystem::path>& images) {
    if (!plan::is_placed(plan)) fail("internal error: the partitions are not placed yet");
    Fd fd(open(disk.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) fail_errno("cannot create", disk.string());
    if (ftruncate(fd.get(), static_cast<off_t>(*plan.disk_size)) != 0) fail_errno("cannot size", disk.string());
    for (const auto& p : plan.partitions) {
        auto it = images.find(p.name);
        if (it == images.end()) continue;
        uint64_t size = std::filesystem::file_size(it->second);
        if (size > *p.size)
            fail("the {} filesystem of partition '{}' is {} but the partition is {}", p.filesystem.type, p.name,
                 human_size(size), human_size(*p.size));
        copy_sparse_into(it->second, fd.get(), *p.offset);
    }
    if (fsync(fd.get()) != 0) fail_errno("cannot write", disk.string());
    fd = Fd();
    part::write_partition_table(disk.string(), table_for(plan));
}

} // namespace lethe::outputs
