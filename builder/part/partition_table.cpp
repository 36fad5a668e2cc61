#include "part/partition_table.hpp"

#include "catalog/partition_types.hpp"
#include "catalog/target.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/size.hpp"

#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <libfdisk/libfdisk.h>
#include <memory>
#include <string_view>
#include <unistd.h>

namespace lethe::part {
namespace {

// A GPT with the usual 128 entries of 128 bytes takes the MBR sector, the
// header and 32 sectors of entries at the start, and the same (less the MBR)
// at the end as a backup.
constexpr uint64_t gpt_reserved_sectors = 34;
constexpr size_t gpt_name_max = 36;

struct ContextDeleter {
    void operator()(fdisk_context* cxt) const { fdisk_unref_context(cxt); }
};
using Context = std::unique_ptr<fdisk_context, ContextDeleter>;

struct TableDeleter {
    void operator()(fdisk_table* tb) const { fdisk_unref_table(tb); }
};
struct PartitionDeleter {
    void operator()(fdisk_partition* pa) const { fdisk_unref_partition(pa); }
};
struct IterDeleter {
    void operator()(fdisk_iter* it) const { fdisk_free_iter(it); }
};

void check_rc(int rc, const std::string& what, const std::string& path) {
    if (rc < 0) fail_errno(what, path, -rc);
}

Context open_context(const std::string& path, bool readonly) {
    Context cxt(fdisk_new_context());
    if (!cxt) fail("cannot allocate a libfdisk context for '{}'", path);
    check_rc(fdisk_assign_device(cxt.get(), path.c_str(), readonly ? 1 : 0), "cannot open", path);
    return cxt;
}

std::string lower_guid(const char* text) {
    return catalog::normalize_guid(text ? text : "").value_or(text ? text : "");
}

void check_partition(const std::string& path, const PartitionSpec& p) {
    if (p.name.size() > gpt_name_max)
        fail_input("partition name '{}' is longer than {} characters", p.name, gpt_name_max);
    if (!catalog::normalize_guid(p.type_guid))
        fail_input("partition '{}': '{}' is not a type GUID", p.name, p.type_guid);
    if (!catalog::normalize_guid(p.uuid)) fail_input("partition '{}': '{}' is not a UUID", p.name, p.uuid);
    if (p.size == 0 || p.offset % sector_size != 0 || p.size % sector_size != 0)
        fail_input(
            "partition '{}' of '{}': offset {} and size {} must be non-zero multiples of {} bytes",
            p.name, path, p.offset, p.size, sector_size);
}

void check_table(const std::string& path, const TableSpec& table) {
    if (!catalog::normalize_guid(table.disk_uuid)) fail_input("'{}' is not a disk UUID", table.disk_uuid);
    if (table.disk_size % sector_size != 0 ||
        table.disk_size < 2 * gpt_reserved_sectors * sector_size)
        fail_input("a disk of {} bytes cannot hold a GPT of {}-byte sectors", table.disk_size,
                   sector_size);
    std::error_code ec;
    uint64_t file_size = std::filesystem::file_size(path, ec);
    if (ec) fail_errno("cannot read the size of", path, ec.value());
    if (file_size != table.disk_size)
        fail("'{}' is {} bytes but its partition table is for {} bytes", path, file_size,
             table.disk_size);
    std::vector<const PartitionSpec*> sorted;
    for (const auto& p : table.partitions) {
        check_partition(path, p);
        sorted.push_back(&p);
    }
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i - 1]->offset + sorted[i - 1]->size > sorted[i]->offset)
            fail_input("partitions '{}' and '{}' overlap", sorted[i - 1]->name, sorted[i]->name);
}

// libfdisk decides the usable area: it aligns the first usable sector to its
// 1 MiB grain (sector 2048), and keeps the last 33 sectors for the backup GPT.
void check_bounds(fdisk_context* cxt, const std::string& path, const TableSpec& table) {
    uint64_t first = fdisk_get_first_lba(cxt) * sector_size;
    uint64_t end = (fdisk_get_last_lba(cxt) + 1) * sector_size; // one past the last usable byte
    for (const auto& p : table.partitions) {
        if (p.offset < first)
            fail_input("partition '{}' starts at byte {}, before the first usable byte {} of '{}'",
                       p.name, p.offset, first, path);
        if (p.offset > end || p.size > end - p.offset)
            fail_input("partition '{}' ends at byte {} ({}) but the usable space of the {} disk "
                       "'{}' ends at byte {}",
                       p.name, p.offset + p.size, human_size(p.offset + p.size),
                       human_size(table.disk_size), path, end);
    }
}

void add_partition(fdisk_context* cxt, const std::string& path, size_t index,
                   const PartitionSpec& spec) {
    std::unique_ptr<fdisk_partition, PartitionDeleter> pa(fdisk_new_partition());
    if (!pa) fail("cannot allocate a libfdisk partition for '{}'", path);
    std::string what = fmt::format("cannot add partition '{}' to", spec.name);
    fdisk_parttype* type =
        fdisk_label_parse_parttype(fdisk_get_label(cxt, nullptr), spec.type_guid.c_str());
    if (!type)
        fail("libfdisk does not accept the type GUID {} of partition '{}'", spec.type_guid,
             spec.name);
    int rc = fdisk_partition_set_type(pa.get(), type);
    fdisk_unref_parttype(type); // the partition holds its own reference
    check_rc(rc, what, path);
    check_rc(fdisk_partition_set_partno(pa.get(), index), what, path);
    check_rc(fdisk_partition_set_start(pa.get(), spec.offset / sector_size), what, path);
    check_rc(fdisk_partition_set_size(pa.get(), spec.size / sector_size), what, path);
    check_rc(fdisk_partition_set_name(pa.get(), spec.name.c_str()), what, path);
    check_rc(fdisk_partition_set_uuid(pa.get(), spec.uuid.c_str()), what, path);
    check_rc(fdisk_add_partition(cxt, pa.get(), nullptr), what, path);
    check_rc(fdisk_gpt_set_partition_attrs(cxt, index, spec.attributes), what, path);
}

} // namespace

void write_partition_table(const std::string& image_path, const TableSpec& table) {
    check_table(image_path, table);
    Context cxt = open_context(image_path, false);
    // A regular file has no topology; pin the sector size rather than trust a default.
    check_rc(fdisk_save_user_sector_size(cxt.get(), sector_size, sector_size),
             "cannot set the sector size of", image_path);
    check_rc(fdisk_reset_device_properties(cxt.get()), "cannot read", image_path);
    check_rc(fdisk_create_disklabel(cxt.get(), "gpt"), "cannot create a GPT on", image_path);
    // libfdisk makes up a random disk GUID; ours comes from the plan's seed.
    check_rc(fdisk_set_disklabel_id_from_string(cxt.get(), table.disk_uuid.c_str()),
             "cannot set the disk UUID of", image_path);
    check_bounds(cxt.get(), image_path, table);
    for (size_t i = 0; i < table.partitions.size(); ++i)
        add_partition(cxt.get(), image_path, i, table.partitions[i]);
    check_rc(fdisk_write_disklabel(cxt.get()), "cannot write the partition table of", image_path);
    check_rc(fdisk_deassign_device(cxt.get(), 0), "cannot close", image_path);
}

namespace {

void refuse_non_raw(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno("cannot open", path);
    char magic[4] = {};
    ssize_t n = ::pread(fd.get(), magic, sizeof magic, 0);
    if (n < 0) fail_errno("cannot read", path);
    if (n == 4 && std::string_view(magic, 4) == std::string_view("QFI\xfb", 4))
        fail_input("'{}' is a qcow2 image; lethe reads raw images: convert it first with "
                   "`qemu-img convert -O raw {} {}.raw`",
                   path, path, path);
}

Partition read_partition(fdisk_context* cxt, fdisk_partition* pa, uint64_t sector) {
    Partition p;
    size_t partno = fdisk_partition_get_partno(pa);
    p.number = partno + 1;
    const char* name = fdisk_partition_get_name(pa);
    p.name = name ? name : "";
    fdisk_parttype* type = fdisk_partition_get_type(pa);
    p.type_guid = lower_guid(type ? fdisk_parttype_get_string(type) : "");
    p.type_name = catalog::type_name_for(catalog::native_target(), p.type_guid);
    p.uuid = lower_guid(fdisk_partition_get_uuid(pa));
    p.offset = fdisk_partition_get_start(pa) * sector;
    p.size = fdisk_partition_get_size(pa) * sector;
    if (fdisk_gpt_get_partition_attrs(cxt, partno, &p.attributes) < 0) p.attributes = 0;
    return p;
}

} // namespace

PartitionTable read_partition_table(const std::string& image_path) {
    refuse_non_raw(image_path);
    Context cxt = open_context(image_path, true);
    if (!fdisk_has_label(cxt.get())) fail_input("'{}' has no partition table", image_path);
    if (!fdisk_is_label(cxt.get(), GPT))
        fail_input("'{}' has a {} partition table, not GPT", image_path,
                   fdisk_label_get_name(fdisk_get_label(cxt.get(), nullptr)));
    PartitionTable table;
    table.label = "gpt";
    table.sector_size = fdisk_get_sector_size(cxt.get());
    table.disk_size = fdisk_get_nsectors(cxt.get()) * table.sector_size;
    char* id = nullptr;
    check_rc(fdisk_get_disklabel_id(cxt.get(), &id), "cannot read the disk UUID of", image_path);
    table.disk_uuid = lower_guid(id);
    std::free(id);
    fdisk_table* raw = nullptr;
    check_rc(fdisk_get_partitions(cxt.get(), &raw), "cannot read the partitions of", image_path);
    std::unique_ptr<fdisk_table, TableDeleter> tb(raw);
    std::unique_ptr<fdisk_iter, IterDeleter> it(fdisk_new_iter(FDISK_ITER_FORWARD));
    fdisk_partition* pa = nullptr;
    while (fdisk_table_next_partition(tb.get(), it.get(), &pa) == 0)
        table.partitions.push_back(read_partition(cxt.get(), pa, table.sector_size));
    return table;
}

} // namespace lethe::part
