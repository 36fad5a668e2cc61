#pragma once
// Growing the last GPT partition to the end of a disk that is larger than the
// image written to it (a 2 GB image on a 40 GB cloud disk). Works on a file
// descriptor and a sector size, so the unit tests run it on an image file.
//
// Hand-written because lethe-init is linked statically and Debian ships no
// libfdisk.a; the GPT is small and its layout fixed by the UEFI specification
// (chapter 5.3). The CRC is zlib's crc32, which is GPT's CRC-32.

#include <cstdint>
#include <string>

namespace lethe::init {

struct GptGrowth {
    enum class Outcome {
        grown,        // the table was rewritten: the backup at the end, the partition to the last MiB boundary
        already_full, // nothing to do: the table already fills the disk (a later boot)
        skipped,      // not safe to grow (another partition ends after it); `reason` says why
    };
    Outcome outcome = Outcome::skipped;
    std::string reason;
    uint64_t sector_size = 0;
    uint64_t first_lba = 0;      // of the partition
    uint64_t old_last_lba = 0;   // inclusive, as GPT stores it
    uint64_t new_last_lba = 0;
    uint64_t backup_header_lba = 0; // the disk's last sector, after growth
};

// Grows partition PARTITION_NUMBER (1-based, as in /dev/vda3) of the GPT on
// FD, a whole disk of DISK_BYTES with SECTOR_SIZE-byte logical sectors (512
// or 4096), so it ends at the last MiB boundary before the disk's new last
// usable sector; moves the backup entries and header to the end of the disk
// and updates the primary header and the protective MBR. Writes nothing when the table already fills
// the disk or when the partition is not the last one (`skipped`). Throws
// Failure, having written nothing, for a table it cannot trust (signature,
// CRCs, sizes) or a disk smaller than the table; and on an I/O error.
GptGrowth grow_gpt_partition(int fd, uint64_t sector_size, uint64_t disk_bytes, unsigned partition_number);

// "253 MiB", "5.9 GiB": sizes for the console log.
std::string human_size(uint64_t bytes);

} // namespace lethe::init
