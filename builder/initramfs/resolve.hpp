#pragma once
// Which kernel modules the initrd carries, in the order lethe-init loads them.
// They are resolved at build time from the image kernel's depmod output
// (modules.dep, modules.softdep, modules.alias, modules.builtin[.modinfo]),
// following modprobe's rules, so the initrd needs no modprobe and no index:
//
// - A name is looked up as libkmod does (kmod_module_new_from_lookup): first a
//   module of that name, then modules.alias patterns (fnmatch), then built-in
//   modules and their aliases. The first source with a match wins, and every
//   match from that source is taken, as modprobe loads every module an alias
//   names (crc32c -> crc32c_generic and crc32c_intel when both are modules).
// - '-' and '_' are the same in module names, and in aliases outside [...].
// - A module comes after its modules.dep dependencies; `softdep m pre: x`
//   puts x before m, `post: y` puts y after m, for dependencies too.
//   Tokens before any pre:/post: are ignored, as libkmod does.
// - Softdeps that name nothing loadable are skipped, as modprobe does.
//
// The parsing and ordering are pure functions of the files' texts.

#include "plan/plan.hpp"
#include "stage/tree_root.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::initramfs {

struct KernelModule {
    std::string path; // as in modules.dep: kernel/fs/ext4/ext4.ko[.xz|.zst|.gz]
    std::vector<std::string>
        dependencies; // names, in modules.dep order (the reverse of load order)
};

struct SoftDependencies {
    std::vector<std::string> pre, post; // names or aliases, unresolved
};

struct ModuleAlias {
    std::string pattern; // normalized, may hold fnmatch wildcards
    std::string module;  // normalized module name
};

struct ModuleIndex {
    std::map<std::string, KernelModule> modules; // loadable modules by normalized name
    std::map<std::string, SoftDependencies> softdeps;
    std::set<std::string> builtin;            // normalized names of built-in modules
    std::vector<ModuleAlias> aliases;         // modules.alias, in file order
    std::vector<ModuleAlias> builtin_aliases; // modules.builtin.modinfo
    // For error messages only: which kernel and where its files are.
    std::string kernel_version;
    std::string directory;
};

// "crc32c-intel" -> "crc32c_intel".
std::string normalize_module_name(std::string_view name);

// "kernel/crypto/crc32c-generic.ko.zst" -> "crc32c_generic".
std::string module_name_from_path(std::string_view path);

// "kernel/fs/ext4/ext4.ko.xz" -> "kernel/fs/ext4/ext4.ko": the initrd holds modules uncompressed.
std::string uncompressed_module_path(std::string_view path);

// `builtin_modinfo` is modules.builtin.modinfo (NUL-separated "module.key=value"),
// which kernels since 5.2 ship; empty when absent. Throws lethe::Error (bad
// input, "modules.dep:LINE: ...") for a module path that is absolute or has
// "..", a module listed twice, and a dependency cycle, none of which depmod
// writes.
ModuleIndex parse_module_index(std::string_view dep_text, std::string_view softdep_text,
                               std::string_view builtin_text, std::string_view alias_text,
                               std::string_view builtin_modinfo = {});

enum class LookupKind { module, alias, builtin, missing };

struct ModuleLookup {
    LookupKind kind = LookupKind::missing;
    std::vector<std::string>
        modules; // loadable modules to load for the name (none if built in or missing)
};

ModuleLookup lookup_module(const ModuleIndex& index, std::string_view name);

// Every loadable module needed for `wanted` and for those of `optional` that
// the kernel has, dependencies first, without duplicates. Throws lethe::Error
// (bad input) naming a wanted module the kernel neither has nor builds in.
std::vector<std::string> module_load_order(const ModuleIndex& index,
                                           const std::vector<std::string>& wanted,
                                           const std::vector<std::string>& optional);

// Per module of ORDER (module_load_order's result), the modalias patterns of
// the devices it is loaded for, as udev would: an optional module (a disk
// driver) is for the devices its own modules.alias patterns match, and the
// modules it needs (its dependency chain, softdeps included) are for the
// devices of every optional module that needs them. Only "bus:..." aliases
// are device patterns (not crypto-crc32c or block-major-8-*). Empty: load it
// always (a required module or one of its dependencies, or an optional module
// without device aliases). Patterns are normalized as libkmod does ('-' is '_').
std::vector<std::vector<std::string>> device_patterns(const ModuleIndex& index,
                                                      const std::vector<std::string>& wanted,
                                                      const std::vector<std::string>& optional,
                                                      const std::vector<std::string>& order);

struct InitrdModules {
    std::vector<std::string> names;             // load order
    std::vector<std::vector<std::string>> patterns; // device_patterns: empty = load always
    std::vector<std::string> paths_in_initrd;   // /lib/modules/<kver>/kernel/fs/ext4/ext4.ko
    std::vector<std::filesystem::path> sources; // in the image's tree, possibly compressed
};

// Reads the depmod files in `modules_dir` (/usr/lib/modules/<kver>, a path
// in the image, resolved inside `tree` like every module it lists) and
// resolves the plan's initrd modules against them. A modules.dep entry that
// is absolute, has '..', or is not a regular file in the image is refused.
InitrdModules resolve_initrd_modules(const plan::Plan& plan, const stage::TreeRoot& tree,
                                     const std::string& modules_dir);

} // namespace lethe::initramfs
