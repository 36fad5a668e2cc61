#include "verity/verify.hpp"

#include "catalog/target.hpp"
#include "initrd/verity.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/size.hpp"
#include "verity/root_hash_sources.hpp"

#include <algorithm>
#include <memory>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

namespace stdfs = std::filesystem;

namespace lethe::verity {
namespace {

// Ranges shown at each end of a long list.
constexpr size_t shown_ranges = 3;

bool is_qcow2(const stdfs::path& image) {
    Fd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail_input("cannot open '{}': {}", image.string(), std::strerror(errno));
    char magic[4] = {};
    return ::pread(fd.get(), magic, sizeof magic, 0) == 4 &&
           std::string_view(magic, 4) == "QFI\xfb";
}

// The image as a raw file: itself, or a sparse raw copy of a qcow2 image in
// a directory of its own, removed with it.
class RawImage {
  public:
    RawImage(const VerifyOptions& options, exec::CommandRunner& runner) : path_(options.image) {
        if (!is_qcow2(options.image)) return;
        if (!exec::tool_exists("qemu-img"))
            fail("reading a qcow2 image needs qemu-img (Debian package qemu-utils)");
        scratch_ = std::make_unique<ScratchDir>("lethe-verify", options.temp_dir);
        path_ = scratch_->path() / "image.raw";
        runner.run(qcow2_to_raw_command(options.image, path_)); // on failure, scratch_ goes with the members
    }
    const stdfs::path& path() const { return path_; }
    bool converted() const { return scratch_ != nullptr; }

  private:
    std::unique_ptr<ScratchDir> scratch_;
    stdfs::path path_;
};

std::string partition_name(const part::Partition& p) {
    return p.name.empty() ? fmt::format("partition {}", p.number) : p.name;
}

// The partition with UUID, else the one partition of type TYPE_GUID.
part::Partition find_partition(const part::PartitionTable& table, const std::string& uuid,
                               std::string_view type_guid, const char* role,
                               std::vector<std::string>& problems) {
    std::vector<part::Partition> of_type;
    for (const auto& p : table.partitions) {
        if (p.uuid == uuid) return p;
        if (p.type_guid == type_guid) of_type.push_back(p);
    }
    if (of_type.size() != 1)
        fail_input(
            "no partition has UUID {}, which the root hash gives the {} partition, and {} {} "
            "partitions have its type: is this a verity image?",
            uuid, role, of_type.empty() ? "no" : "several", role);
    const part::Partition& p = of_type.front();
    problems.push_back(fmt::format("{} (partition {}) has UUID {}, but the root hash gives {}",
                                   partition_name(p), p.number, p.uuid, uuid));
    return p;
}

std::vector<RootHashSource> root_hash_sources(const VerifyOptions& options,
                                              exec::CommandRunner& runner, const stdfs::path& raw,
                                              const part::PartitionTable& table) {
    std::vector<RootHashSource> sources;
    auto esp = std::find_if(table.partitions.begin(), table.partitions.end(),
                            [](const part::Partition& p) { return p.type_name == "esp"; });
    if (esp != table.partitions.end()) sources = esp_root_hashes(runner, raw, esp->offset);
    if (options.manifest) sources.push_back(manifest_root_hash(*options.manifest));
    if (sources.empty())
        fail_input("'{}' has no usrhash= in {} or {} on its ESP{}: was it built with verity?",
                   options.image.string(), syslinux_config_path, loader_entry_path,
                   options.manifest ? "" : " (give its manifest with --manifest)");
    return sources;
}

// Every source must name the same root hash; the first (the boot loader's) is the one checked.
void compare_sources(const std::vector<RootHashSource>& sources, std::vector<std::string>& problems,
                     std::ostream& out) {
    std::string where;
    for (const auto& source : sources) {
        if (source.root_hash != sources.front().root_hash)
            problems.push_back(fmt::format("{} says root hash {}, but {} says {}", source.where,
                                           source.root_hash, sources.front().where,
                                           sources.front().root_hash));
        else
            where += (where.empty() ? "" : ", ") + source.where;
    }
    out << fmt::format("root hash {} ({})\n", sources.front().root_hash, where);
}

Region region_of(const Fd& fd, const part::Partition& p) {
    return {fd.get(), p.offset, p.size, partition_name(p)};
}

std::string range_text(const BlockRange& range, uint64_t first_block, uint64_t block_size) {
    uint64_t start = (first_block + range.first) * block_size;
    uint64_t end = (first_block + range.last + 1) * block_size - 1;
    return fmt::format("{}-{} (bytes {}-{} of the partition)", range.first, range.last, start, end);
}

// One line per range, the middle of a long list left out.
void add_range_lines(std::vector<std::string>& lines, const BlockRanges& blocks,
                     const std::string& prefix, const std::string& suffix, uint64_t first_block,
                     uint64_t block_size) {
    const auto& ranges = blocks.ranges;
    for (size_t i = 0; i < ranges.size(); ++i) {
        if (ranges.size() > 2 * shown_ranges && i == shown_ranges) {
            lines.push_back(
                fmt::format("  ... {} more ranges ...", ranges.size() - 2 * shown_ranges));
            i = ranges.size() - shown_ranges;
        }
        lines.push_back(prefix + range_text(ranges[i], first_block, block_size) + suffix);
    }
}

void report(const TreeCheck& check, const VerityPair& pair, const std::string& root,
            std::ostream& out) {
    const init::VeritySuperblock& sb = check.superblock;
    out << fmt::format("{}: partition {}, UUID {}, {} data blocks of {} bytes ({})\n",
                       partition_name(pair.data), pair.data.number, pair.data.uuid, sb.data_blocks,
                       sb.data_block_size, human_size(sb.data_blocks * sb.data_block_size));
    out << fmt::format("{}: partition {}, UUID {}, {}, {} levels, {} hash blocks, salt {} bytes\n",
                       partition_name(pair.hash), pair.hash.number, pair.hash.uuid, sb.algorithm,
                       check.geometry.level_start.size(),
                       check.geometry.hash_device_blocks - check.geometry.hash_start_block,
                       sb.salt.size());
    for (const auto& line :
         describe_mismatches(check, partition_name(pair.data), partition_name(pair.hash), root))
        out << line << "\n";
}

} // namespace

exec::Command qcow2_to_raw_command(const stdfs::path& qcow2, const stdfs::path& raw) {
    // qemu-img writes zeros as holes (-S 4k is its default), so the copy takes only the data's
    // room.
    return {{"qemu-img", "convert", "-f", "qcow2", "-O", "raw", qcow2.string(), raw.string()}};
}

VerityPair find_verity_pair(const part::PartitionTable& table, const std::string& root_hash,
                            std::vector<std::string>& problems) {
    init::VerityPartitionUuids uuids = init::verity_partition_uuids(root_hash);
    const catalog::ArchitecturePartitionTypes& types = catalog::native_target().types;
    return {find_partition(table, uuids.data, types.usr, "usr", problems),
            find_partition(table, uuids.hash, types.usr_verity, "usr-verity", problems)};
}

std::vector<std::string> describe_mismatches(const TreeCheck& check, const std::string& data_name,
                                             const std::string& hash_name,
                                             const std::string& root_hash) {
    std::vector<std::string> lines;
    const init::HashTreeGeometry& g = check.geometry;
    add_range_lines(lines, check.data, data_name + ": data blocks ", " do not match the hash tree",
                    0, check.superblock.data_block_size);
    size_t levels = check.hash_levels.size();
    for (size_t level = 0; level < levels; ++level) {
        bool top = level + 1 == levels;
        std::string above = top ? "the root hash" : fmt::format("level {}", level + 1);
        add_range_lines(lines, check.hash_levels[level],
                        fmt::format("{}: level {} hash blocks ", hash_name, level),
                        " do not match " + above, g.level_start[level], g.hash_block_size);
    }
    if (!check.data.empty())
        lines.push_back(fmt::format("{}: {} of {} data blocks differ", data_name, check.data.blocks,
                                    g.data_blocks));
    if (check.stored_root_hash != root_hash)
        lines.push_back(fmt::format("{}: its hash tree has root hash {}, not {}", hash_name,
                                    check.stored_root_hash, root_hash));
    if (check.computed_root_hash != root_hash && check.computed_root_hash != check.stored_root_hash)
        lines.push_back(fmt::format("{}: the data as it is has root hash {}", data_name,
                                    check.computed_root_hash));
    return lines;
}

bool verify_image(const VerifyOptions& options, exec::CommandRunner& runner, std::ostream& out) {
    RawImage raw(options, runner);
    part::PartitionTable table = part::read_partition_table(raw.path().string());
    out << fmt::format("{}: {}{}\n", options.image.string(), human_size(table.disk_size),
                       raw.converted() ? ", qcow2 read through a raw copy" : "");
    std::vector<std::string> problems;
    std::vector<RootHashSource> sources = root_hash_sources(options, runner, raw.path(), table);
    compare_sources(sources, problems, out);
    const std::string& root = sources.front().root_hash;
    VerityPair pair = find_verity_pair(table, root, problems);
    Fd fd(::open(raw.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno("cannot open", raw.path().string());
    TreeCheck check = check_hash_tree(region_of(fd, pair.data), region_of(fd, pair.hash), root);
    report(check, pair, root, out);
    for (const auto& problem : problems)
        out << problem << "\n";
    bool ok = problems.empty() && check.ok();
    out << (ok ? fmt::format("OK: {} matches root hash {}\n", partition_name(pair.data), root)
               : fmt::format("FAILED: {} does not match root hash {}\n", partition_name(pair.data),
                             root));
    return ok;
}

} // namespace lethe::verity
