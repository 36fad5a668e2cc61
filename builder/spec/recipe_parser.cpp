#include "spec/layout_file.hpp"
#include "spec/layout_parser.hpp"
#include "spec/parse.hpp"
#include "spec/value_limits.hpp"
#include "spec/yaml_reader.hpp"

#include "catalog/disk_formats.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace lethe::spec {
namespace {

RootfsSource parse_rootfs(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "rootfs", {"tarball", "directory", "mmdebstrap"});
    if (node.size() != 1) doc.fail_at(node, "rootfs takes exactly one of 'tarball', 'directory' or 'mmdebstrap'");
    RootfsSource source;
    if (map.has("tarball") || map.has("directory")) {
        bool tarball = map.has("tarball");
        const YAML::Node value = map.get(tarball ? "tarball" : "directory");
        source.kind = tarball ? RootfsSource::Kind::tarball : RootfsSource::Kind::directory;
        source.path = resolve_relative(doc.path(), read_string(doc, value, "a path"));
        std::error_code ec;
        bool exists = tarball ? fs::is_regular_file(source.path, ec) : fs::is_directory(source.path, ec);
        const char* what = tarball ? "tarball" : "directory";
        if (!exists && fs::exists(source.path, ec))
            doc.fail_at(value, fmt::format("{} '{}' is {}", what, source.path,
                                           tarball ? "not a regular file" : "not a directory"));
        if (!exists) doc.fail_at(value, fmt::format("{} '{}' does not exist", what, source.path));
        return source;
    }
    MapReader debian(doc, map.get("mmdebstrap"), "rootfs.mmdebstrap", {"suite", "variant", "mirror", "packages"});
    source.kind = RootfsSource::Kind::mmdebstrap;
    source.suite = read_line(doc, debian.required("suite"), "a Debian suite, e.g. bookworm");
    if (debian.has("variant"))
        source.variant = read_choice(doc, debian.get("variant"), {"extract", "custom", "essential", "apt", "minbase", "buildd", "required", "important", "standard"});
    if (debian.has("mirror")) source.mirror = read_line(doc, debian.get("mirror"), "a mirror URL");
    if (debian.has("packages")) {
        source.packages = read_string_list(doc, debian.get("packages"), "Debian package names");
        static const std::regex package_name("[a-z0-9][a-z0-9+.-]+");
        for (size_t i = 0; i < source.packages.size(); ++i)
            if (!std::regex_match(source.packages[i], package_name))
                doc.fail_at(debian.get("packages")[i], fmt::format("'{}' is not a Debian package name", source.packages[i]));
    }
    return source;
}

Layout parse_layout_reference(const Document& doc, const YAML::Node& node) {
    if (node.IsMap()) return parse_layout(doc, node);
    return load_referenced_layout(doc, node);
}

Kernel parse_kernel(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "kernel", {"version", "cmdline"});
    Kernel kernel;
    if (map.has("version")) kernel.version = read_kernel_version(doc, map.get("version"));
    if (map.has("cmdline")) kernel.cmdline = read_kernel_cmdline(doc, map.get("cmdline"));
    return kernel;
}

Boot parse_boot(const Document& doc, const YAML::Node& node) {
    MapReader map(doc, node, "boot", {"firmware"});
    Boot boot;
    boot.origin = doc.origin(node);
    if (!map.has("firmware")) return boot;
    const YAML::Node list = map.get("firmware");
    auto names = read_string_list(doc, list, "firmware names: bios, uefi");
    boot.firmware.emplace();
    for (size_t i = 0; i < names.size(); ++i) {
        auto firmware = catalog::parse_firmware(read_choice(doc, list[i], {"bios", "uefi"}));
        if (std::find(boot.firmware->begin(), boot.firmware->end(), *firmware) != boot.firmware->end())
            doc.fail_at(list[i], fmt::format("'{}' is listed twice", names[i]));
        boot.firmware->push_back(*firmware);
    }
    return boot;
}

const std::vector<std::string> core_keys = {"name", "seed", "rootfs", "overlays", "layout", "kernel", "boot", "outputs"};

Recipe parse_recipe(const std::shared_ptr<const Document>& shared, const std::vector<std::string>& feature_keys) {
    const Document& doc = *shared;
    std::vector<std::string> keys = core_keys;
    keys.insert(keys.end(), feature_keys.begin(), feature_keys.end());
    MapReader map(doc, doc.root(), "recipe", keys);
    Recipe recipe;
    recipe.file = doc.path();
    const YAML::Node name = map.required("name");
    recipe.name = read_string(doc, name, "an image name");
    static const std::regex valid_name("[A-Za-z0-9][A-Za-z0-9_.-]*");
    if (!std::regex_match(recipe.name, valid_name))
        doc.fail_at(name, "an image name is letters, digits, '_', '.' or '-' (it names the output files)");
    check_image_name_length(doc, name, recipe.name);
    recipe.seed = map.has("seed") ? read_string(doc, map.get("seed"), "a seed string") : recipe.name;
    recipe.rootfs = parse_rootfs(doc, map.required("rootfs"));
    if (map.has("overlays")) {
        const YAML::Node list = map.get("overlays");
        for (size_t i = 0; i < read_string_list(doc, list, "directories").size(); ++i) {
            std::string dir = resolve_relative(doc.path(), list[i].Scalar());
            std::error_code ec;
            if (!fs::is_directory(dir, ec)) doc.fail_at(list[i], fmt::format("overlay directory '{}' does not exist", dir));
            recipe.overlays.push_back(dir);
        }
    }
    recipe.layout = parse_layout_reference(doc, map.required("layout"));
    if (map.has("kernel")) recipe.kernel = parse_kernel(doc, map.get("kernel"));
    if (map.has("boot")) recipe.boot = parse_boot(doc, map.get("boot"));
    const YAML::Node outputs = map.required("outputs");
    recipe.outputs = read_string_list(doc, outputs, "output formats");
    if (recipe.outputs.empty()) doc.fail_at(outputs, "expected at least one output: raw, qcow2, raw.zst or raw.xz");
    for (size_t i = 0; i < recipe.outputs.size(); ++i) read_choice(doc, outputs[i], catalog::disk_formats());
    check_no_repeats(doc, outputs, recipe.outputs);
    for (const auto& key : feature_keys)
        if (map.has(key.c_str())) recipe.sections[key] = std::make_shared<Section>(Section{shared, map.get(key.c_str())});
    return recipe;
}

} // namespace

Recipe parse_recipe(const std::string& text, const std::string& path, const std::vector<std::string>& feature_keys) {
    return parse_recipe(std::make_shared<const Document>(Document::parse(text, path)), feature_keys);
}

Recipe load_recipe(const std::string& path, const std::vector<std::string>& feature_keys) {
    return parse_recipe(std::make_shared<const Document>(Document::load(path)), feature_keys);
}

bool persists_directory(const Layout& layout, const std::string& path) {
    for (const auto& dir : layout.persistence.directories)
        if (is_within(path, dir.path)) return true;
    return false;
}

} // namespace lethe::spec
