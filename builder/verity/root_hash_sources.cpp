#include "verity/root_hash_sources.hpp"

#include "initrd/failure.hpp"
#include "initrd/verity.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace lethe::verity {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// The arguments of every line whose first word is KEYWORD, joined by blanks.
std::string joined_arguments(std::string_view text, const std::string& keyword, bool any_case) {
    std::istringstream lines{std::string(text)};
    std::string line, joined;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string first;
        words >> first;
        if ((any_case ? lower(first) : first) != keyword) continue;
        std::string rest;
        std::getline(words, rest);
        joined += " " + rest;
    }
    return joined;
}

std::optional<std::string> usrhash_of(const std::string& cmdline, std::string_view where) {
    try {
        return init::usrhash_from_cmdline(cmdline);
    } catch (const init::Failure& error) {
        fail("{}: {}", where, error.what());
    }
}

// mtools refuse a FAT whose geometry looks odd to them unless told not to check.
exec::Command mtools(std::vector<std::string> argv) {
    exec::Command command{std::move(argv)};
    command.env = {{"MTOOLS_SKIP_CHECK", "1"}};
    return command;
}

std::string image_at(const std::filesystem::path& image, uint64_t offset) {
    return image.string() + "@@" + std::to_string(offset);
}

} // namespace

std::optional<std::string> syslinux_usrhash(std::string_view config) {
    return usrhash_of(joined_arguments(config, "append", true), syslinux_config_path);
}

std::optional<std::string> loader_entry_usrhash(std::string_view entry) {
    return usrhash_of(joined_arguments(entry, "options", false), loader_entry_path);
}

exec::Command list_esp_command(const std::filesystem::path& image, uint64_t offset) {
    return mtools({"mdir", "-b", "-/", "-i", image_at(image, offset), "::"});
}

exec::Command read_esp_file_command(const std::filesystem::path& image, uint64_t offset,
                                    const std::string& esp_path) {
    return mtools({"mtype", "-i", image_at(image, offset), "::" + esp_path});
}

std::vector<RootHashSource> esp_root_hashes(exec::CommandRunner& runner,
                                            const std::filesystem::path& image, uint64_t offset) {
    if (!exec::tool_exists("mdir"))
        fail("reading the ESP's boot loader configuration needs mtools (Debian package mtools)");
    std::set<std::string> present;
    std::istringstream listing(runner.run(list_esp_command(image, offset)));
    for (std::string line; std::getline(listing, line);)
        if (line.rfind("::", 0) == 0) present.insert(lower(line.substr(2))); // FAT ignores case
    std::vector<RootHashSource> sources;
    for (const char* path : {syslinux_config_path, loader_entry_path}) {
        if (!present.count(lower(path))) continue;
        std::string text = runner.run(read_esp_file_command(image, offset, path));
        auto hash =
            path == syslinux_config_path ? syslinux_usrhash(text) : loader_entry_usrhash(text);
        if (hash) sources.push_back({std::string(path) + " on the ESP", *hash});
    }
    return sources;
}

std::optional<RootHashSource> find_manifest_root_hash(const std::filesystem::path& manifest) {
    if (!std::filesystem::is_regular_file(manifest))
        fail_input("cannot read the manifest '{}': not a file", manifest.string());
    nlohmann::json json = nlohmann::json::parse(read_file(manifest), nullptr, false);
    if (json.is_discarded() || !json.is_object())
        fail_input("'{}' is not a lethe manifest (not a JSON object)", manifest.string());
    if (!json.contains("verity")) return std::nullopt;
    const nlohmann::json* hash = nullptr;
    if (json["verity"].is_object() && json["verity"].contains("root_hash")) hash = &json["verity"]["root_hash"];
    if (!hash || !hash->is_string())
        fail_input("the manifest '{}' has a verity section without a root_hash string", manifest.string());
    std::string value = hash->get<std::string>();
    try {
        init::check_root_hash(value, "the manifest's verity.root_hash");
    } catch (const init::Failure& error) {
        fail_input("{}: {}", manifest.string(), error.what());
    }
    return RootHashSource{"the manifest", value};
}

RootHashSource manifest_root_hash(const std::filesystem::path& manifest) {
    if (auto source = find_manifest_root_hash(manifest)) return *source;
    fail_input("the manifest '{}' has no verity.root_hash: was the image built with verity?", manifest.string());
}

} // namespace lethe::verity
