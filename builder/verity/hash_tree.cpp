#include "verity/hash_tree.hpp"

#include "initrd/failure.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <openssl/evp.h>

namespace lethe::verity {
namespace {

constexpr size_t digest_bytes = 32;
using Bytes = std::vector<unsigned char>;

struct CtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Ctx = std::unique_ptr<EVP_MD_CTX, CtxDeleter>;

// SHA-256 of salt || block (hash type 1). The salt is hashed once; each
// block starts from a copy of that state.
class SaltedHasher {
  public:
    explicit SaltedHasher(const std::string& salt)
        : salted_(EVP_MD_CTX_new()), work_(EVP_MD_CTX_new()) {
        if (!salted_ || !work_ || EVP_DigestInit_ex(salted_.get(), EVP_sha256(), nullptr) != 1 ||
            EVP_DigestUpdate(salted_.get(), salt.data(), salt.size()) != 1)
            fail("cannot start a SHA-256 digest (OpenSSL)");
    }
    void digest(const unsigned char* block, size_t size, unsigned char* out) {
        if (EVP_MD_CTX_copy_ex(work_.get(), salted_.get()) != 1 ||
            EVP_DigestUpdate(work_.get(), block, size) != 1 ||
            EVP_DigestFinal_ex(work_.get(), out, nullptr) != 1)
            fail("cannot compute a SHA-256 digest (OpenSSL)");
    }

  private:
    Ctx salted_, work_;
};

std::string hex(const unsigned char* bytes, size_t size) {
    std::string out;
    for (size_t i = 0; i < size; ++i)
        out += fmt::format("{:02x}", bytes[i]);
    return out;
}

Bytes read_bytes(const Region& region, uint64_t offset, uint64_t size) {
    Bytes out;
    out.reserve(size);
    read_range(region.fd, region.name, region.offset + offset, size,
               [&](const char* data, size_t n) { out.insert(out.end(), data, data + n); });
    return out;
}

// The digests of the first BLOCKS blocks of BLOCK_SIZE bytes of REGION, read in 1 MiB pieces.
Bytes digest_blocks(SaltedHasher& hasher, const Region& region, uint64_t blocks,
                    uint32_t block_size) {
    Bytes digests(blocks * digest_bytes);
    uint64_t per_read = std::max<uint64_t>(1, (1u << 20) / block_size);
    for (uint64_t first = 0; first < blocks; first += per_read) {
        uint64_t count = std::min(per_read, blocks - first);
        Bytes data = read_bytes(region, first * block_size, count * block_size);
        for (uint64_t i = 0; i < count; ++i)
            hasher.digest(data.data() + i * block_size, block_size,
                          &digests[(first + i) * digest_bytes]);
    }
    return digests;
}

// DIGESTS laid out in hash blocks as veritysetup writes them: a power-of-two
// number per block, each block's tail zero.
Bytes pack_level(const Bytes& digests, const init::HashTreeGeometry& g) {
    uint64_t count = digests.size() / digest_bytes;
    uint64_t blocks = (count + g.digests_per_block - 1) / g.digests_per_block;
    Bytes level(blocks * g.hash_block_size, 0);
    for (uint64_t i = 0; i < count; ++i)
        std::memcpy(&level[(i / g.digests_per_block) * g.hash_block_size +
                           (i % g.digests_per_block) * digest_bytes],
                    &digests[i * digest_bytes], digest_bytes);
    return level;
}

// Entry I of a stored level, as pack_level placed it.
const unsigned char* stored_digest(const Bytes& level, const init::HashTreeGeometry& g,
                                   uint64_t i) {
    return &level[(i / g.digests_per_block) * g.hash_block_size +
                  (i % g.digests_per_block) * digest_bytes];
}

Bytes digest_level_blocks(SaltedHasher& hasher, const Bytes& level, uint32_t block_size) {
    uint64_t blocks = level.size() / block_size;
    Bytes digests(blocks * digest_bytes);
    for (uint64_t i = 0; i < blocks; ++i)
        hasher.digest(&level[i * block_size], block_size, &digests[i * digest_bytes]);
    return digests;
}

// Compares DIGESTS[i] with entry i of the stored level PARENT (nullptr: with the root hash).
void compare(const Bytes& digests, const Bytes* parent, const Bytes& root,
             const init::HashTreeGeometry& g, BlockRanges& mismatches, bool& root_matches) {
    uint64_t count = digests.size() / digest_bytes;
    for (uint64_t i = 0; i < count; ++i) {
        const unsigned char* expected = parent ? stored_digest(*parent, g, i) : root.data();
        bool same = std::memcmp(&digests[i * digest_bytes], expected, digest_bytes) == 0;
        if (!parent) root_matches = same;
        if (!same) mismatches.add(i);
    }
}

Bytes root_bytes(std::string_view root_hash) {
    try {
        init::check_root_hash(root_hash, "the root hash");
    } catch (const init::Failure& error) {
        fail_input("{}", error.what());
    }
    Bytes out;
    for (size_t i = 0; i < root_hash.size(); i += 2)
        out.push_back(static_cast<unsigned char>(
            std::stoi(std::string(root_hash.substr(i, 2)), nullptr, 16)));
    return out;
}

init::HashTreeGeometry checked_geometry(const Region& data, const Region& hash,
                                        const init::VeritySuperblock& sb) {
    if (sb.algorithm != "sha256")
        fail("{}: the superblock's hash algorithm is '{}', lethe checks sha256", hash.name,
             sb.algorithm);
    init::HashTreeGeometry g = init::hash_tree_geometry(sb);
    if (sb.data_blocks > data.size / sb.data_block_size)
        fail("{}: the superblock covers {} data blocks of {} bytes, but {} has only {} bytes",
             hash.name, sb.data_blocks, sb.data_block_size, data.name, data.size);
    if (g.hash_device_blocks > hash.size / sb.hash_block_size)
        fail("{}: the hash tree needs {} blocks of {} bytes, but {} has only {} bytes", hash.name,
             g.hash_device_blocks, sb.hash_block_size, hash.name, hash.size);
    return g;
}

} // namespace

void BlockRanges::add(uint64_t block) {
    ++blocks;
    if (!ranges.empty() && ranges.back().last + 1 == block)
        ranges.back().last = block;
    else
        ranges.push_back({block, block});
}

bool TreeCheck::ok() const {
    bool levels_ok = true;
    for (const auto& level : hash_levels)
        levels_ok = levels_ok && level.empty();
    return root_matches && data.empty() && levels_ok;
}

init::VeritySuperblock read_superblock(const Region& hash) {
    if (hash.size < init::verity_superblock_size)
        fail("{}: {} bytes, too small for a dm-verity superblock", hash.name, hash.size);
    Bytes bytes = read_bytes(hash, 0, init::verity_superblock_size);
    try {
        return init::parse_verity_superblock(bytes.data(), bytes.size());
    } catch (const init::Failure& error) {
        fail("{}: {}", hash.name, error.what());
    }
}

std::string compute_root_hash(const Region& data, const init::VeritySuperblock& sb) {
    init::HashTreeGeometry g = init::hash_tree_geometry(sb);
    if (sb.data_blocks > data.size / sb.data_block_size)
        fail("{}: {} bytes, less than {} blocks of {} bytes", data.name, data.size, sb.data_blocks,
             sb.data_block_size);
    SaltedHasher hasher(sb.salt);
    Bytes digests = digest_blocks(hasher, data, sb.data_blocks, sb.data_block_size);
    for (size_t level = 0; level < g.level_start.size(); ++level)
        digests = digest_level_blocks(hasher, pack_level(digests, g), g.hash_block_size);
    return hex(digests.data(), digest_bytes);
}

// Each stored level is checked against the stored level above it, as the
// kernel does; the tree is also rebuilt from the data alone, for the root
// hash the data should have had.
TreeCheck check_hash_tree(const Region& data, const Region& hash, std::string_view root_hash) {
    Bytes root = root_bytes(root_hash);
    TreeCheck check;
    check.superblock = read_superblock(hash);
    check.geometry = checked_geometry(data, hash, check.superblock);
    const init::HashTreeGeometry& g = check.geometry;
    const size_t levels = g.level_start.size();
    SaltedHasher hasher(check.superblock.salt);
    std::vector<Bytes> stored(levels);
    for (size_t level = 0; level < levels; ++level)
        stored[level] = read_bytes(hash, g.level_start[level] * g.hash_block_size,
                                   g.level_blocks[level] * g.hash_block_size);
    Bytes computed = digest_blocks(hasher, data, g.data_blocks, check.superblock.data_block_size);
    compare(computed, levels > 0 ? &stored[0] : nullptr, root, g, check.data, check.root_matches);
    check.hash_levels.resize(levels);
    for (size_t level = 0; level < levels; ++level) {
        Bytes digests = digest_level_blocks(hasher, stored[level], g.hash_block_size);
        if (level + 1 == levels) check.stored_root_hash = hex(digests.data(), digest_bytes);
        const Bytes* parent = level + 1 < levels ? &stored[level + 1] : nullptr;
        compare(digests, parent, root, g, check.hash_levels[level], check.root_matches);
        computed = digest_level_blocks(hasher, pack_level(computed, g), g.hash_block_size);
    }
    check.computed_root_hash = hex(computed.data(), digest_bytes);
    if (levels == 0)
        check.stored_root_hash = check.computed_root_hash; // one block: no tree to store
    return check;
}

} // namespace lethe::verity
