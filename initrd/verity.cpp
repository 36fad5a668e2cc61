#include "initrd/verity.hpp"

#include "initrd/failure.hpp"
#include "initrd/little_endian.hpp"

#include <cstdio>
#include <cstring>

namespace lethe::init {
namespace {

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string hex_of(const unsigned char* bytes, size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0xf];
    }
    return out;
}

// 32 hex digits as a UUID string: dashes after digits 8, 12, 16 and 20.
std::string uuid_of_hex(std::string_view hex) {
    std::string out;
    for (size_t i = 0; i < hex.size(); ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
        out += hex[i];
    }
    return out;
}

// The kernel's own splitting (lib/cmdline.c, next_arg): blanks separate
// words, double quotes group blanks into one and are dropped. Words after
// "--" are arguments for init, not parameters.
std::vector<std::string> cmdline_words(std::string_view cmdline) {
    std::vector<std::string> words;
    std::string word;
    bool quoted = false, in_word = false;
    for (char c : cmdline) {
        bool blank = c == ' ' || c == '\t' || c == '\n';
        if (blank && !quoted) {
            if (in_word && word == "--") return words;
            if (in_word) words.push_back(word);
            word.clear();
            in_word = false;
        } else if (c == '"') {
            quoted = !quoted;
            in_word = true;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word && word != "--") words.push_back(word);
    return words;
}

bool power_of_two(uint64_t n) {
    return n != 0 && (n & (n - 1)) == 0;
}

// A block size the kernel and cryptsetup accept: 512 bytes to 512 KiB.
void check_block_size(uint32_t size, const char* which) {
    if (!power_of_two(size) || size < 512 || size > 512 * 1024)
        fail(std::string("dm-verity superblock: ") + which + " block size " + std::to_string(size) +
             " is not a power of two between 512 and 524288");
}

// A NUL-terminated printable name in a fixed-size field.
std::string fixed_string(const unsigned char* field, size_t size, const char* what) {
    size_t length = strnlen(reinterpret_cast<const char*>(field), size);
    if (length == size) fail(std::string("dm-verity superblock: ") + what + " is not terminated");
    for (size_t i = 0; i < length; ++i)
        if (field[i] < 0x21 || field[i] > 0x7e)
            fail(std::string("dm-verity superblock: ") + what + " is not text");
    return std::string(reinterpret_cast<const char*>(field), length);
}

} // namespace

void check_root_hash(std::string_view hex, std::string_view what) {
    bool hex_only = true;
    for (char c : hex)
        hex_only = hex_only && is_lower_hex(c);
    if (hex.size() == root_hash_hex_digits && hex_only) return;
    std::string shown(hex.substr(0, 80));
    fail(std::string(what) + " must be 64 lowercase hex digits (a SHA-256 root hash), not '" +
         shown + "'" +
         (hex.size() != root_hash_hex_digits ? " (" + std::to_string(hex.size()) + " characters)"
                                             : ""));
}

std::optional<std::string> usrhash_from_cmdline(std::string_view cmdline) {
    std::optional<std::string> found;
    for (const std::string& word : cmdline_words(cmdline)) {
        if (word == "usrhash")
            fail("usrhash on the kernel command line has no value (usrhash=HEX)");
        if (word.rfind("usrhash=", 0) != 0) continue;
        std::string value = word.substr(8);
        check_root_hash(value, "usrhash=");
        // The kernel passes both to userspace; which one counts would be a guess.
        if (found && *found != value)
            fail("the kernel command line has two different usrhash= values: " + *found + " and " +
                 value);
        found = value;
    }
    return found;
}

VerityPartitionUuids verity_partition_uuids(std::string_view root_hash_hex) {
    check_root_hash(root_hash_hex, "the root hash");
    return {uuid_of_hex(root_hash_hex.substr(0, 32)),
            uuid_of_hex(root_hash_hex.substr(root_hash_hex.size() - 32))};
}

// Field offsets of cryptsetup's struct verity_sb (lib/verity/verity.c).
VeritySuperblock parse_verity_superblock(const unsigned char* b, size_t size) {
    if (size < verity_superblock_size)
        fail("dm-verity superblock: only " + std::to_string(size) + " bytes, it needs 512");
    if (std::memcmp(b, "verity\0\0", 8) != 0)
        fail("no dm-verity superblock: the hash device does not start with \"verity\" (it starts "
             "with " +
             hex_of(b, 8) + ")");
    VeritySuperblock sb;
    sb.version = static_cast<uint32_t>(get_le(b + 8, 4));
    sb.hash_type = static_cast<uint32_t>(get_le(b + 12, 4));
    if (sb.version != 1)
        fail("dm-verity superblock: version " + std::to_string(sb.version) +
             ", lethe reads version 1");
    if (sb.hash_type != 1)
        fail("dm-verity superblock: hash type " + std::to_string(sb.hash_type) +
             " (0 is Chrome OS's format), lethe uses type 1");
    sb.uuid = uuid_of_hex(hex_of(b + 16, 16));
    sb.algorithm = fixed_string(b + 32, 32, "the hash algorithm");
    sb.data_block_size = static_cast<uint32_t>(get_le(b + 64, 4));
    sb.hash_block_size = static_cast<uint32_t>(get_le(b + 68, 4));
    check_block_size(sb.data_block_size, "data");
    check_block_size(sb.hash_block_size, "hash");
    sb.data_blocks = get_le(b + 72, 8);
    if (sb.data_blocks == 0) fail("dm-verity superblock: no data blocks");
    size_t salt_size = get_le(b + 80, 2);
    if (salt_size > 256)
        fail("dm-verity superblock: salt of " + std::to_string(salt_size) + " bytes, at most 256");
    sb.salt.assign(reinterpret_cast<const char*>(b + 88), salt_size);
    return sb;
}

size_t digest_size(std::string_view algorithm) {
    if (algorithm == "sha256") return 32;
    if (algorithm == "sha512") return 64;
    if (algorithm == "sha1") return 20;
    return 0;
}

// As the kernel's verity_ctr: a digest takes a power-of-two slot, and the
// tree has as many levels as it takes to cover data_blocks.
HashTreeGeometry hash_tree_geometry(uint64_t data_blocks, uint32_t hash_block_size,
                                    size_t digest_bytes) {
    if (digest_bytes == 0 || digest_bytes > hash_block_size)
        fail("dm-verity: digests do not fit in a hash block");
    HashTreeGeometry g;
    g.data_blocks = data_blocks;
    g.hash_block_size = hash_block_size;
    unsigned bits = 0;
    while ((uint64_t{2} << bits) * digest_bytes <= hash_block_size)
        ++bits;
    g.digests_per_block = 1u << bits;
    unsigned levels = 0;
    while (data_blocks > 0 && bits * levels < 64 && ((data_blocks - 1) >> (bits * levels)) != 0)
        ++levels;
    g.hash_start_block = 1; // the superblock (512 bytes) rounded up to one hash block
    g.level_start.assign(levels, 0);
    g.level_blocks.assign(levels, 0);
    uint64_t position = g.hash_start_block;
    for (unsigned level = levels; level-- > 0;) {
        unsigned shift = bits * (level + 1);
        uint64_t blocks = shift >= 64 ? 1 : (data_blocks + (uint64_t{1} << shift) - 1) >> shift;
        g.level_start[level] = position;
        g.level_blocks[level] = blocks;
        position += blocks;
    }
    g.hash_device_blocks = position;
    return g;
}

HashTreeGeometry hash_tree_geometry(const VeritySuperblock& sb) {
    size_t bytes = digest_size(sb.algorithm);
    if (bytes == 0) fail("dm-verity superblock: unknown hash algorithm '" + sb.algorithm + "'");
    return hash_tree_geometry(sb.data_blocks, sb.hash_block_size, bytes);
}

DmTarget verity_target(const VerityTarget& t) {
    const VeritySuperblock& sb = t.superblock;
    check_root_hash(t.root_hash, "the root hash");
    HashTreeGeometry g = hash_tree_geometry(sb);
    std::string salt =
        sb.salt.empty()
            ? "-"
            : hex_of(reinterpret_cast<const unsigned char*>(sb.salt.data()), sb.salt.size());
    std::string params =
        "1 " + t.data_device + " " + t.hash_device + " " + std::to_string(sb.data_block_size) +
        " " + std::to_string(sb.hash_block_size) + " " + std::to_string(sb.data_blocks) + " " +
        std::to_string(g.hash_start_block) + " " + sb.algorithm + " " + t.root_hash + " " + salt;
    // Without an option dm-verity fails the read with EIO and logs the block.
    if (t.on_corruption == OnCorruption::restart) params += " 1 restart_on_corruption";
    if (t.on_corruption == OnCorruption::panic) params += " 1 panic_on_corruption";
    return {0, sb.data_blocks * (sb.data_block_size / 512), "verity", params};
}

} // namespace lethe::init
