#include "part/inspect.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/size.hpp"

#include <algorithm>
#include <array>
#include <blkid/blkid.h>
#include <fcntl.h>
#include <memory>

namespace lethe::part {
namespace {

struct ProbeDeleter {
    void operator()(blkid_struct_probe* pr) const { blkid_free_probe(pr); }
};

std::string probe_value(blkid_probe pr, const char* name) {
    const char* value = nullptr;
    if (blkid_probe_lookup_value(pr, name, &value, nullptr) != 0 || !value) return {};
    return value;
}

std::optional<Filesystem> probe_filesystem(int fd, const std::string& path, const Partition& p) {
    std::unique_ptr<blkid_struct_probe, ProbeDeleter> pr(blkid_new_probe());
    if (!pr) fail("cannot allocate a libblkid probe for '{}'", path);
    if (blkid_probe_set_device(pr.get(), fd, static_cast<blkid_loff_t>(p.offset),
                               static_cast<blkid_loff_t>(p.size)) != 0)
        fail("cannot probe partition {} of '{}'", p.number, path);
    int flags = BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID;
#ifdef BLKID_SUBLKS_FSSIZE
    flags |= BLKID_SUBLKS_FSSIZE;
#endif
    blkid_probe_enable_superblocks(pr.get(), 1);
    blkid_probe_set_superblocks_flags(pr.get(), flags);
    blkid_probe_enable_partitions(pr.get(), 0);
    int rc = blkid_do_safeprobe(pr.get());
    if (rc == 1) return std::nullopt; // nothing found
    // Several signatures (say, a stale one left under a new filesystem): blkid will not choose.
    if (rc == -2) return Filesystem{"ambiguous", "", "", std::nullopt};
    if (rc < 0) fail("cannot probe the filesystem of partition {} of '{}'", p.number, path);
    Filesystem fs{probe_value(pr.get(), "TYPE"), probe_value(pr.get(), "LABEL"),
                  probe_value(pr.get(), "UUID"), std::nullopt};
    std::string size = probe_value(pr.get(), "FSSIZE");
    if (!size.empty()) fs.size = std::stoull(size);
    return fs;
}

using Row = std::array<std::string, 8>;

std::string format_rows(const std::vector<Row>& rows) {
    std::array<size_t, 8> widths{};
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i)
            line += fmt::format("{:<{}}", row[i], i + 1 < row.size() ? widths[i] + 2 : 0);
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    return out;
}

} // namespace

Inspection inspect_image(const std::string& image_path) {
    Inspection result{image_path, read_partition_table(image_path), {}};
    Fd fd(::open(image_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno("cannot open", image_path);
    for (const auto& p : result.table.partitions)
        result.partitions.push_back({p, probe_filesystem(fd.get(), image_path, p)});
    return result;
}

std::string inspection_text(const Inspection& inspection) {
    const PartitionTable& t = inspection.table;
    std::string out = fmt::format("{}: {}, {}, disk UUID {}\n", inspection.path, t.label,
                                  human_size(t.disk_size), t.disk_uuid);
    std::vector<Row> rows = {{"#", "NAME", "TYPE", "START", "SIZE", "FS", "LABEL", "UUID"}};
    for (const auto& [p, fs] : inspection.partitions)
        rows.push_back({std::to_string(p.number), p.name, p.type_name, human_size(p.offset),
                        human_size(p.size), fs ? fs->type : "-",
                        fs && !fs->label.empty() ? fs->label : "-", fs ? fs->uuid : "-"});
    return out + format_rows(rows);
}

nlohmann::ordered_json inspection_json(const Inspection& inspection) {
    const PartitionTable& t = inspection.table;
    nlohmann::ordered_json partitions = nlohmann::ordered_json::array();
    for (const auto& [p, fs] : inspection.partitions) {
        nlohmann::ordered_json j = {{"number", p.number},  {"name", p.name},
                                    {"type", p.type_name}, {"type_guid", p.type_guid},
                                    {"uuid", p.uuid},      {"offset", p.offset},
                                    {"size", p.size},      {"attributes", p.attributes}};
        if (fs) {
            j["filesystem"] = {{"type", fs->type}, {"label", fs->label}, {"uuid", fs->uuid}};
            j["filesystem"]["size"] =
                fs->size ? nlohmann::ordered_json(*fs->size) : nlohmann::ordered_json();
        }
        partitions.push_back(std::move(j));
    }
    return {{"path", inspection.path},
            {"disk",
             {{"uuid", t.disk_uuid},
              {"size", t.disk_size},
              {"sector_size", t.sector_size},
              {"label", t.label}}},
            {"partitions", std::move(partitions)}};
}

} // namespace lethe::part
