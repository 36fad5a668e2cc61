// The build, as a straight list of stages (see docs/ARCHITECTURE.md):
// spec -> plan -> stage the tree -> initrd -> /usr (and its hash tree) -> ESP -> other filesystems
// -> partition -> outputs. The ESP holds the initrd and, on its boot loaders' command line, the
// root hash of /usr; the ESP's size is measured from its files before the partitions are placed.

#include "build.hpp"

#include "bootloader/esp.hpp"
#include "catalog/disk_formats.hpp"
#include "catalog/filesystem_kinds.hpp"
#include "exec/command_runner.hpp"
#include "features/registry.hpp"
#include "initramfs/cpio_writer.hpp"
#include "initramfs/init_config.hpp"
#include "initramfs/resolve.hpp"
#include "mkfs/make_filesystem.hpp"
#include "outputs/disk_formats.hpp"
#include "outputs/disk_image.hpp"
#include "outputs/manifest.hpp"
#include "outputs/publish.hpp"
#include "outputs/tree_space.hpp"
#include "outputs/work_dir.hpp"
#include "plan/json_text.hpp"
#include "plan/plan.hpp"
#include "stage/debian.hpp"
#include "stage/exposure.hpp"
#include "stage/extract.hpp"
#include "stage/hygiene.hpp"
#include "stage/kernel.hpp"
#include "stage/packages.hpp"
#include "stage/split.hpp"
#include "stage/tree_root.hpp"
#include "stage/units.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/interrupt.hpp"
#include "util/sha256.hpp"
#include "util/paths.hpp"
#include "util/size.hpp"
#include "util/source_date_epoch.hpp"
#include "util/timer.hpp"
#include "verity/hash_partition.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace stdfs = std::filesystem;
using Path = std::filesystem::path;

namespace lethe {
namespace {

int64_t source_date_epoch() {
    if (auto epoch = source_date_epoch_from(std::getenv("SOURCE_DATE_EPOCH"))) return *epoch;
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// What the build will publish into the output directory.
std::vector<std::string> output_names(const plan::Plan& plan) {
    std::vector<std::string> names = {plan.name + ".vmlinuz", plan.name + ".initrd", plan.name + ".manifest.json",
                                      "SHA256SUMS"};
    for (const auto& format : plan.outputs) names.push_back(plan.name + "." + format);
    for (const auto& feature : plan.features)
        for (const auto& file : feature->output_files(plan.name)) names.push_back(file.name);
    return names;
}

// Where the work directory goes (beside the outputs, so they can be renamed
// into place), and what it must not swallow.
outputs::WorkDirPlace work_dir_place(const BuildOptions& options, const plan::Plan& plan) {
    outputs::WorkDirPlace place{options.work_dir.empty() ? Path(options.output_dir) / (".lethe-work-" + plan.name)
                                                         : Path(options.work_dir),
                                options.output_dir, {}};
    Path recipe_dir = Path(options.recipe).parent_path();
    place.inputs.emplace_back("the recipe's folder", recipe_dir.empty() ? Path(".") : recipe_dir);
    if (plan.rootfs.kind != spec::RootfsSource::Kind::mmdebstrap) place.inputs.emplace_back("the rootfs", plan.rootfs.path);
    else place.inputs.emplace_back("the cache", options.cache_dir.empty() ? stage::default_cache_dir() : Path(options.cache_dir));
    for (const auto& overlay : plan.overlays) place.inputs.emplace_back("the overlay", overlay);
    return place;
}

// Every host tool, helper program and loader file the plan's stages and
// features need, checked before anything is staged, so a missing one costs
// seconds, not a whole build.
void require_host_tools(const plan::Plan& plan) {
    std::vector<exec::Tool> tools;
    if (plan.rootfs.kind == spec::RootfsSource::Kind::mmdebstrap) tools.push_back({"mmdebstrap", "mmdebstrap"});
    for (const auto& p : plan.partitions) {
        const auto& kind = catalog::filesystem_kind(p.filesystem.type);
        tools.insert(tools.end(), kind.tools.begin(), kind.tools.end());
    }
    for (const auto& tool : bootloader::required_tools(plan)) tools.push_back(tool);
    for (const auto& tool : verity::required_tools(plan)) tools.push_back(tool);
    for (const auto& format : plan.outputs)
        if (auto tool = catalog::disk_format_tool(format)) tools.push_back(*tool);
    for (const auto& feature : plan.features) {
        auto needed = feature->host_tools();
        tools.insert(tools.end(), needed.begin(), needed.end());
    }
    exec::require_tools(tools);
    bootloader::check_loader_files(plan, bootloader::host_loader_files(*plan.target));
    helper_program("lethe-init", plan.target->helper_subdirectory);
    for (const auto& feature : plan.features)
        for (const auto& helper : feature->helper_programs()) helper_program(helper, plan.target->helper_subdirectory);
}

struct Rootfs {
    Path tree;
    std::string source_hash; // sha256 of the tarball, or empty for a directory
};

// An empty rootfs would only fail later as "no kernel", which misleads.
stage::ExtractStats require_files(const stage::ExtractStats& stats, const std::string& what, const Path& path) {
    if (stats.files + stats.symlinks + stats.hardlinks == 0)
        fail_input("the rootfs {} '{}' holds no files ({} directories, nothing else): give a root filesystem "
                   "with its kernel, e.g. one made by mmdebstrap or `tar -C ROOT -cf rootfs.tar .`",
                   what, path.string(), stats.directories);
    return stats;
}

// The tarball or directory the rootfs comes from; mmdebstrap's is made (or
// found in the cache) first.
Path rootfs_source(const plan::Plan& plan, const BuildOptions& options, exec::CommandRunner& runner) {
    if (plan.rootfs.kind != spec::RootfsSource::Kind::mmdebstrap) return plan.rootfs.path;
    stage::DebianSource debian{plan.rootfs.suite, plan.rootfs.packages, plan.rootfs.variant, plan.rootfs.mirror,
                               std::string(plan.target->debian_architecture)};
    Path cache = options.cache_dir.empty() ? stage::default_cache_dir() : Path(options.cache_dir);
    return stage::fetch_debian(debian, cache, runner);
}

Rootfs stage_rootfs(const plan::Plan& plan, const Path& source, const Path& tree) {
    Timer timer("stage the root filesystem");
    Rootfs rootfs{tree, {}};
    if (plan.rootfs.kind == spec::RootfsSource::Kind::directory) {
        require_files(stage::copy_tree(source, tree), "directory", source);
        return rootfs;
    }
    const Path& archive = source;
    rootfs.source_hash = sha256_file(archive);
    auto stats = require_files(stage::extract_archive(archive, tree), "archive", archive);
    spdlog::info("extracted {} files, {} directories, {} links ({})", stats.files, stats.directories,
                 stats.symlinks + stats.hardlinks, human_size(stats.bytes));
    return rootfs;
}

// Overlays go over the rootfs before hygiene and the split, so what they
// add is scrubbed, persisted and made read-only like the rest.
void apply_overlays(const plan::Plan& plan, const Path& tree) {
    for (const auto& overlay : plan.overlays) {
        auto stats = stage::copy_tree(overlay, tree);
        spdlog::info("overlay {}: {} files, {} directories, {} links", overlay, stats.files, stats.directories,
                     stats.symlinks + stats.hardlinks);
    }
}

Path make_filesystem(const plan::PartitionPlan& p, const Path& source, const Path& image, uint64_t size,
                     int64_t epoch, exec::CommandRunner& runner) {
    mkfs::make_filesystem(
        {p.filesystem.type, p.filesystem.label, p.filesystem.uuid, p.filesystem.compression, source, image, size, epoch},
        runner);
    spdlog::info("{}: {} filesystem of {}", p.name, p.filesystem.type, human_size(stdfs::file_size(image)));
    return image;
}

// How exposed each service the image starts is, as systemd rates it from the
// unit files alone; the build log names the three most exposed
// (docs/security.md: tightening one with a drop-in).
std::vector<stage::Exposure> rate_services(const Path& rootfs, exec::CommandRunner& runner) {
    auto services = stage::enabled_services(rootfs);
    if (services.empty()) return {};
    exec::require_tools({{"systemd-analyze", "systemd"}});
    auto exposures = stage::measure_exposure(runner, rootfs, services);
    std::string top;
    for (const auto& e : stage::most_exposed(exposures, 3))
        top += fmt::format("{}{} {:.1f} {}", top.empty() ? "" : ", ", e.unit, e.score, e.rating);
    spdlog::info("exposure of {} services (systemd-analyze security), most exposed: {}", exposures.size(), top);
    return exposures;
}

// Scrubs the rootfs, installs lethe's units and each feature's files, and
// splits it into the OS and persistent trees.
stage::SplitTree prepare_tree(const plan::Plan& plan, const Path& rootfs, const Path& work, int64_t epoch,
                              exec::CommandRunner& runner, outputs::Manifest& manifest) {
    Timer timer("prepare the tree");
    auto rules = stage::parse_scrub_rules(read_file(data_path("templates/scrub.rules")), "templates/scrub.rules");
    manifest.scrubbed = stage::scrub_instance_identity(rootfs, rules).removed;
    // Checked here, not up front: only a rootfs with presets needs systemctl.
    auto presets = stage::preset_commands(rootfs);
    if (!presets.empty()) exec::require_tools({{"systemctl", "systemd"}});
    for (const auto& command : presets) runner.run(command);
    manifest.units = stage::install_units(rootfs, data_path("templates/systemd"),
                                          stage::parse_unit_list(read_file(data_path("templates/masked-units"))), epoch);
    features::StageContext context{rootfs, plan, epoch, runner};
    for (const auto& feature : plan.features) feature->stage(context);
    manifest.units.insert(manifest.units.end(), context.units.begin(), context.units.end());
    manifest.exposure = rate_services(rootfs, runner);
    return stage::split_rootfs(rootfs, work / "persist", plan, epoch);
}

// The trees that become filesystems: the OS, the persistent state, the ESP.
struct Trees {
    stage::SplitTree split;
    Path esp; // empty: no ESP
};

Path source_of(const plan::PartitionPlan& p, const Trees& trees) {
    switch (p.role) {
    case plan::Role::usr: return trees.split.usr_tree;
    case plan::Role::persist: return trees.split.persist_tree;
    case plan::Role::esp: return trees.esp;
    case plan::Role::usr_verity:
    case plan::Role::data: break;
    }
    return {};
}

// The OS first, read-only and of the size its content takes, and its hash
// tree when it has one: the root hash goes on the ESP's boot loader command
// lines and decides the partitions' UUIDs. Returns the images by partition.
std::map<std::string, Path> make_usr_images(plan::Plan& plan, const stage::SplitTree& split, const Path& work,
                                            int64_t epoch, exec::CommandRunner& runner) {
    Timer timer("make /usr"); // and its hash tree, for verity
    std::map<std::string, Path> images;
    const plan::PartitionPlan& usr = plan.partition(plan::Role::usr);
    Path data = make_filesystem(usr, split.usr_tree, work / (usr.name + ".img"), 0, epoch, runner);
    images[usr.name] = data;
    if (!plan.verity) return images;
    Path hash = work / (plan.verity->hash_partition + ".img");
    std::string root_hash = verity::make_hash_image(plan, data, hash, runner);
    images[plan.verity->hash_partition] = hash;
    spdlog::info("{}: hash tree of {}, root hash {}", plan.verity->hash_partition, human_size(stdfs::file_size(hash)),
                 root_hash);
    return images;
}

// The other filesystems, once the partitions are placed around the images
// made already (IMAGES, which this adds to).
void make_filesystems(plan::Plan& plan, const Trees& trees, std::map<std::string, Path>& images, const Path& work,
                      int64_t epoch, exec::CommandRunner& runner) {
    Timer timer("make filesystems");
    plan::ContentSizes content;
    for (const auto& [name, image] : images) content[name] = stdfs::file_size(image);
    auto usage = mkfs::measure_tree(trees.split.persist_tree);
    content[plan.persist_partition] = mkfs::ext4_size_for(usage.bytes, usage.entries);
    for (const auto& p : plan.partitions)
        if (p.role == plan::Role::esp) content[p.name] = bootloader::esp_size_for(mkfs::measure_tree(trees.esp).bytes);
    plan::place_partitions(plan, content);
    for (const auto& p : plan.partitions) {
        if (images.count(p.name) || catalog::filesystem_kind(p.filesystem.type).id == catalog::FilesystemId::none)
            continue;
        images[p.name] = make_filesystem(p, source_of(p, trees), work / (p.name + ".img"), *p.size, epoch, runner);
        if (p.role == plan::Role::esp && plan.wants(catalog::Firmware::bios))
            runner.run(bootloader::install_syslinux(images[p.name], epoch));
    }
}

// The ESP's files: kernel, initrd, boot loaders. Empty path when the plan has no ESP.
Path make_esp_tree(const plan::Plan& plan, const Path& kernel, const Path& initrd, const Path& work,
               outputs::Manifest& manifest) {
    bool has_esp = std::any_of(plan.partitions.begin(), plan.partitions.end(),
                               [](const auto& p) { return p.role == plan::Role::esp; });
    if (!has_esp || plan.firmware.empty()) return {};
    manifest.boot_loaders =
        bootloader::stage_esp(plan, kernel, initrd, work / "esp", bootloader::host_loader_files(*plan.target));
    return work / "esp";
}

void partition_disk(const plan::Plan& plan, const Path& raw, const std::map<std::string, Path>& images) {
    Timer timer("partition the disk");
    outputs::assemble_disk(raw, plan, images);
    if (plan.wants(catalog::Firmware::bios))
        bootloader::install_mbr_boot_code(raw, bootloader::host_loader_files(*plan.target).gptmbr);
    for (const auto& [name, image] : images) stdfs::remove(image);
    spdlog::info("disk: {} with {} partitions", human_size(*plan.disk_size), plan.partitions.size());
}

void make_initrd(const plan::Plan& plan, const stage::SplitTree& tree, const std::string& kernel_version,
                 const Path& output, int64_t epoch, outputs::Manifest& manifest) {
    Timer timer("make the initrd");
    // After the split the rootfs holds only /usr: links into /usr still resolve.
    stage::TreeRoot rootfs(tree.usr_tree.parent_path());
    auto modules = initramfs::resolve_initrd_modules(plan, rootfs, "usr/lib/modules/" + kernel_version);
    bool has_e2fsck = rootfs.exists("usr/sbin/e2fsck");
    if (!has_e2fsck) spdlog::warn("the image has no /usr/sbin/e2fsck: the persistent partition is mounted unchecked");
    auto config = initramfs::make_init_config(plan, tree, modules, has_e2fsck);
    auto summary = initramfs::write_initrd(output, helper_program("lethe-init", plan.target->helper_subdirectory), init::render_init_config(config),
                                        modules, plan.initrd.compression, epoch);
    manifest.initrd_modules = modules.names;
    spdlog::info("initrd: {} entries, {} ({} uncompressed)", summary.entries, human_size(summary.compressed_bytes),
                 human_size(summary.uncompressed_bytes));
}

// The disk in every format the recipe lists, the manifest, then everything
// renamed into the output directory at once.
void write_outputs(const plan::Plan& plan, const Path& raw, outputs::Publisher& publisher,
                   outputs::Manifest& manifest, exec::CommandRunner& runner) {
    Timer timer("write the outputs");
    for (const auto& format : plan.outputs) {
        if (format == "raw") continue;
        Path output = publisher.path(plan.name + "." + format);
        outputs::write_disk_format(format, raw, output, runner);
        spdlog::info("{}: {}", output.filename().string(), human_size(stdfs::file_size(output)));
    }
    if (std::find(plan.outputs.begin(), plan.outputs.end(), "raw") == plan.outputs.end())
        publisher.forget(plan.name + ".raw");
    for (const auto& feature : plan.features)
        for (const auto& file : feature->output_files(plan.name)) write_file_atomic(publisher.path(file.name), file.content);
    manifest.plan = plan;
    write_file_atomic(publisher.path(plan.name + ".manifest.json"), plan::json_text(outputs::to_json(manifest)));
    publisher.publish();
}

} // namespace

void build(const BuildOptions& options) {
    InterruptHandling interrupts; // outlives the work directory, so a signal still lets it be removed
    Timer whole("build");
    spec::Recipe recipe = features::load_recipe(options.recipe);
    plan::Plan plan = features::make_plan(recipe);
    require_host_tools(plan);
    int64_t epoch = source_date_epoch();
    exec::SystemRunner runner;
    outputs::WorkDirPlace place = work_dir_place(options, plan);
    outputs::check_work_dir(place);
    outputs::check_destinations(options.output_dir, output_names(plan)); // and again before publishing
    stdfs::create_directories(options.output_dir);
    outputs::WorkDir work(place.work, options.keep_work);
    outputs::Publisher publisher(work.path() / "out", options.output_dir);
    outputs::Manifest manifest;
    manifest.recipe_sha256 = sha256_file(options.recipe);
    manifest.source_date_epoch = epoch;

    Path source = rootfs_source(plan, options, runner);
    // An explicit --work-dir says where everything goes, and --keep-work keeps
    // it all in one place; otherwise the trees go to a tmpfs when one has room.
    bool is_directory = plan.rootfs.kind == spec::RootfsSource::Kind::directory;
    bool may_use_tmpfs = options.work_dir.empty() && !options.keep_work;
    outputs::TreeSpace space(work.path(), may_use_tmpfs ? outputs::rootfs_estimate(source, is_directory) : 0);
    Rootfs rootfs = stage_rootfs(plan, source, space.path() / "rootfs");
    apply_overlays(plan, rootfs.tree);
    manifest.rootfs_sha256 = rootfs.source_hash;
    stage::KernelFiles kernel = stage::find_kernel(rootfs.tree, plan.kernel.version, *plan.target);
    Path vmlinuz = publisher.path(plan.name + ".vmlinuz");
    lethe::copy_file(kernel.image, vmlinuz);
    manifest.kernel_version = kernel.version;
    manifest.packages = stage::installed_packages(rootfs.tree);

    Trees trees{prepare_tree(plan, rootfs.tree, space.path(), epoch, runner, manifest), {}};
    Path initrd = publisher.path(plan.name + ".initrd");
    make_initrd(plan, trees.split, kernel.version, initrd, epoch, manifest);
    auto images = make_usr_images(plan, trees.split, space.path(), epoch, runner);
    trees.esp = make_esp_tree(plan, vmlinuz, initrd, space.path(), manifest); // after: usrhash= is known
    make_filesystems(plan, trees, images, space.path(), epoch, runner);
    Path raw = publisher.path(plan.name + ".raw");
    partition_disk(plan, raw, images);
    write_outputs(plan, raw, publisher, manifest, runner);
}

} // namespace lethe
