#include "initrd/gpt_grow.hpp"

#include "initrd/failure.hpp"
#include "initrd/little_endian.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <vector>
#include <zlib.h>

namespace lethe::init {
namespace {

using Bytes = std::vector<unsigned char>;

// Field offsets of the GPT header and of a partition entry (UEFI 2.10, tables
// 5.5 and 5.6). All integers are little-endian.
namespace header {
constexpr size_t size = 12, crc = 16, my_lba = 24, alternate_lba = 32, first_usable = 40, last_usable = 48,
                 entries_lba = 72, entry_count = 80, entry_size = 84, entries_crc = 88;
constexpr size_t min_size = 92;
} // namespace header
namespace entry {
constexpr size_t first_lba = 32, last_lba = 40, type_guid_size = 16;
} // namespace entry

// The default table has 128 entries of 128 bytes (16 KiB); more than 1 MiB
// of entries is a corrupt header, not a table.
constexpr uint64_t max_entries_bytes = 1 << 20;
constexpr uint64_t mib = 1024 * 1024;

uint64_t get_le(const Bytes& bytes, size_t at, size_t width) { return init::get_le(bytes.data() + at, width); }

void put_le(Bytes& bytes, size_t at, size_t width, uint64_t value) { init::put_le(bytes.data() + at, width, value); }

uint32_t crc(const Bytes& bytes, size_t size) {
    return static_cast<uint32_t>(crc32(0, bytes.data(), static_cast<uInt>(size)));
}

// The header's CRC is computed with its own CRC field zeroed.
uint32_t header_crc(Bytes sector, size_t size) {
    put_le(sector, header::crc, 4, 0);
    return crc(sector, size);
}

std::string errno_text() { return std::strerror(errno); }

void read_at(int fd, Bytes& buffer, uint64_t offset) {
    for (size_t done = 0; done < buffer.size();) {
        ssize_t n = pread(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot read the disk at byte " + std::to_string(offset + done) + ": " + errno_text());
        if (n == 0) fail("cannot read the disk at byte " + std::to_string(offset + done) + ": it ends there");
        done += static_cast<size_t>(n);
    }
}

void write_at(int fd, const Bytes& buffer, uint64_t offset) {
    for (size_t done = 0; done < buffer.size();) {
        ssize_t n = pwrite(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("cannot write the disk at byte " + std::to_string(offset + done) + ": " + errno_text());
        done += static_cast<size_t>(n);
    }
}

// fsync on a block device also flushes the disk's write cache: each step of
// the update is on the medium before the next one starts.
void flush(int fd) {
    if (fsync(fd) != 0) fail("cannot flush the disk: " + errno_text());
}

struct Table {
    Bytes header;  // the whole sector 1
    Bytes entries; // whole sectors, from entries_lba
    uint64_t header_size = 0, alternate_lba = 0, first_usable = 0, last_usable = 0, entries_lba = 0;
    uint64_t entry_count = 0, entry_size = 0, entries_sectors = 0;
};

void check_header(Table& t, uint64_t sector_size, uint64_t disk_sectors) {
    const Bytes& h = t.header;
    if (std::memcmp(h.data(), "EFI PART", 8) != 0) fail("no GPT: sector 1 has no 'EFI PART' signature");
    t.header_size = get_le(h, header::size, 4);
    if (t.header_size < header::min_size || t.header_size > sector_size)
        fail("the GPT header's size " + std::to_string(t.header_size) + " is not between 92 and the sector size");
    uint32_t stored = static_cast<uint32_t>(get_le(h, header::crc, 4));
    if (header_crc(h, t.header_size) != stored) fail("the GPT header's CRC does not match its contents");
    if (get_le(h, header::my_lba, 8) != 1) fail("the GPT header in sector 1 says it is elsewhere");
    t.alternate_lba = get_le(h, header::alternate_lba, 8);
    t.first_usable = get_le(h, header::first_usable, 8);
    t.last_usable = get_le(h, header::last_usable, 8);
    t.entries_lba = get_le(h, header::entries_lba, 8);
    t.entry_count = get_le(h, header::entry_count, 4);
    t.entry_size = get_le(h, header::entry_size, 4);
    if (t.entry_size < 128 || t.entry_size % 128 != 0 || t.entry_count == 0 ||
        t.entry_count * t.entry_size > max_entries_bytes)
        fail("the GPT header's entry array (" + std::to_string(t.entry_count) + " entries of " +
             std::to_string(t.entry_size) + " bytes) is not plausible");
    t.entries_sectors = (t.entry_count * t.entry_size + sector_size - 1) / sector_size;
    if (t.entries_lba < 2 || t.entries_lba + t.entries_sectors > t.first_usable || t.first_usable > t.last_usable ||
        t.last_usable >= t.alternate_lba)
        fail("the GPT header's sectors are out of order (entries at " + std::to_string(t.entries_lba) +
             ", usable " + std::to_string(t.first_usable) + "-" + std::to_string(t.last_usable) + ", backup at " +
             std::to_string(t.alternate_lba) + ")");
    if (t.alternate_lba >= disk_sectors)
        fail("the disk has " + std::to_string(disk_sectors) + " sectors but its GPT's backup header is at sector " +
             std::to_string(t.alternate_lba) + ": the disk is smaller than the image");
}

Table read_primary(int fd, uint64_t sector_size, uint64_t disk_sectors) {
    Table t;
    t.header.resize(sector_size);
    read_at(fd, t.header, sector_size);
    check_header(t, sector_size, disk_sectors);
    t.entries.resize(t.entries_sectors * sector_size);
    read_at(fd, t.entries, t.entries_lba * sector_size);
    if (crc(t.entries, t.entry_count * t.entry_size) != get_le(t.header, header::entries_crc, 4))
        fail("the GPT's partition entries do not match their CRC");
    return t;
}

bool entry_used(const Table& t, uint64_t index) {
    size_t at = index * t.entry_size;
    return std::any_of(t.entries.begin() + static_cast<long>(at),
                       t.entries.begin() + static_cast<long>(at + entry::type_guid_size),
                       [](unsigned char b) { return b != 0; });
}

uint64_t entry_field(const Table& t, uint64_t index, size_t field) {
    return get_le(t.entries, index * t.entry_size + field, 8);
}

// Why the partition must not grow ("" if it may): only the partition that
// ends last can take the space after it.
std::string not_last_reason(const Table& t, uint64_t index) {
    uint64_t end = entry_field(t, index, entry::last_lba);
    for (uint64_t other = 0; other < t.entry_count; ++other)
        if (other != index && entry_used(t, other) && entry_field(t, other, entry::last_lba) >= end)
            return "partition " + std::to_string(other + 1) + " ends after it, at sector " +
                   std::to_string(entry_field(t, other, entry::last_lba));
    return {};
}

// The header as it reads at MY_LBA, pointing to ALTERNATE and to ENTRIES_LBA.
Bytes header_at(const Table& t, uint64_t my_lba, uint64_t alternate, uint64_t entries_lba) {
    Bytes h = t.header;
    std::fill(h.begin() + static_cast<long>(t.header_size), h.end(), 0); // the rest of the sector is reserved, zero
    put_le(h, header::my_lba, 8, my_lba);
    put_le(h, header::alternate_lba, 8, alternate);
    put_le(h, header::entries_lba, 8, entries_lba);
    put_le(h, header::crc, 4, header_crc(h, t.header_size));
    return h;
}

Bytes concat(const Bytes& a, const Bytes& b) {
    Bytes out = a;
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

// Keeps the protective MBR's one 0xEE entry covering the disk, as the UEFI
// specification asks (min(last LBA, 0xFFFFFFFF) sectors from LBA 1). Only
// ever enlarges it; a hybrid MBR (other entries) is left alone.
void update_protective_mbr(int fd, uint64_t sector_size, uint64_t last_lba) {
    Bytes mbr(sector_size);
    read_at(fd, mbr, 0);
    if (mbr[510] != 0x55 || mbr[511] != 0xaa) return;
    int protective = -1;
    for (int i = 0; i < 4; ++i) {
        unsigned char type = mbr[446 + 16 * i + 4];
        if (type == 0xee && protective < 0) protective = i;
        else if (type != 0) return;
    }
    if (protective < 0) return;
    size_t at = 446 + 16 * static_cast<size_t>(protective);
    uint64_t wanted = std::min<uint64_t>(last_lba, 0xffffffff);
    if (get_le(mbr, at + 8, 4) != 1 || get_le(mbr, at + 12, 4) >= wanted) return;
    put_le(mbr, at + 12, 4, wanted);
    write_at(fd, mbr, 0);
    flush(fd);
}

// The order survives a power cut at any point:
//  1. the new backup entries and header go to the new end of the disk, which
//     nothing points to yet: a cut leaves the old table, whole;
//  2. the primary header and its entries, in one write when they are
//     adjacent (LBA 1 and 2, as every tool writes them): after it, the new
//     table is whole. Two writes would leave a window in which the primary's
//     entries CRC fails; the Linux kernel then sees no partitions at all
//     (unless booted with `gpt`, it never falls back to the backup), so one
//     write keeps that window to a torn write. Firmware and tools that do
//     fall back find the backup of step 1, the new table, already complete.
// The old backup, inside the grown partition, is not erased: until step 2
// it backs the table in force, and afterwards only the file system writes
// there, grown once the new table is on the disk.
void write_grown_table(int fd, uint64_t sector_size, const Table& old, const Table& grown, uint64_t changed_entry,
                       uint64_t last_lba) {
    uint64_t backup_entries_lba = last_lba - grown.entries_sectors;
    write_at(fd, concat(grown.entries, header_at(grown, last_lba, 1, backup_entries_lba)),
             backup_entries_lba * sector_size);
    flush(fd);
    // The entry array's sectors up to the one that changed; the rest are unchanged.
    uint64_t changed_sectors = ((changed_entry + 1) * grown.entry_size + sector_size - 1) / sector_size;
    Bytes entries(grown.entries.begin(), grown.entries.begin() + static_cast<long>(changed_sectors * sector_size));
    Bytes primary = header_at(grown, 1, last_lba, old.entries_lba);
    if (old.entries_lba == 2) {
        write_at(fd, concat(primary, entries), sector_size);
    } else {
        write_at(fd, entries, old.entries_lba * sector_size);
        write_at(fd, primary, sector_size);
    }
    flush(fd);
}

} // namespace

GptGrowth grow_gpt_partition(int fd, uint64_t sector_size, uint64_t disk_bytes, unsigned partition_number) {
    if (sector_size < 512 || sector_size > mib || (sector_size & (sector_size - 1)) != 0)
        fail("bad logical sector size " + std::to_string(sector_size));
    uint64_t disk_sectors = disk_bytes / sector_size;
    if (disk_sectors < 68) fail("the disk has only " + std::to_string(disk_sectors) + " sectors");
    Table table = read_primary(fd, sector_size, disk_sectors);
    uint64_t index = partition_number - 1;
    if (partition_number == 0 || index >= table.entry_count || !entry_used(table, index))
        fail("partition " + std::to_string(partition_number) + " is not in the GPT");

    GptGrowth result;
    result.sector_size = sector_size;
    result.first_lba = entry_field(table, index, entry::first_lba);
    result.old_last_lba = entry_field(table, index, entry::last_lba);
    result.new_last_lba = result.old_last_lba;
    result.backup_header_lba = table.alternate_lba;
    result.reason = not_last_reason(table, index);
    if (!result.reason.empty()) return result; // skipped

    uint64_t last_lba = disk_sectors - 1;
    uint64_t new_last_usable = last_lba - table.entries_sectors - 1;
    if (new_last_usable < result.old_last_lba || new_last_usable < table.last_usable)
        fail("the disk's last usable sector " + std::to_string(new_last_usable) +
             " is before the end of the GPT's partitions");
    // The partition ends on a MiB boundary, as the builder places it
    // (plan/placement.cpp): an image booted on a disk of its own size then
    // has nothing to grow, and the file system stays a whole number of MiB.
    uint64_t sectors_per_mib = mib / sector_size;
    uint64_t aligned_end = (new_last_usable + 1) / sectors_per_mib * sectors_per_mib; // one past
    uint64_t new_last = aligned_end > 0 ? std::max(result.old_last_lba, aligned_end - 1) : result.old_last_lba;
    if (table.alternate_lba == last_lba && table.last_usable == new_last_usable && new_last == result.old_last_lba) {
        update_protective_mbr(fd, sector_size, last_lba); // a cut after the tables, on an earlier boot
        result.outcome = GptGrowth::Outcome::already_full;
        return result;
    }

    Table grown = table;
    put_le(grown.entries, index * table.entry_size + entry::last_lba, 8, new_last);
    put_le(grown.header, header::last_usable, 8, new_last_usable);
    put_le(grown.header, header::entries_crc, 4, crc(grown.entries, table.entry_count * table.entry_size));
    write_grown_table(fd, sector_size, table, grown, index, last_lba);
    update_protective_mbr(fd, sector_size, last_lba);
    result.outcome = GptGrowth::Outcome::grown;
    result.new_last_lba = new_last;
    result.backup_header_lba = last_lba;
    return result;
}

std::string human_size(uint64_t bytes) {
    constexpr uint64_t gib = 1024 * mib;
    char text[32];
    if (bytes >= gib) std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / gib);
    else std::snprintf(text, sizeof text, "%llu MiB", static_cast<unsigned long long>(bytes / mib));
    return text;
}

} // namespace lethe::init
