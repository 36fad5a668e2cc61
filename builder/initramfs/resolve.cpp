#include "initramfs/resolve.hpp"

#include "util/did_you_mean.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <algorithm>
#include <fnmatch.h>
#include <set>
#include <spdlog/spdlog.h>

namespace lethe::initramfs {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(separator, start);
        if (end == std::string_view::npos) end = text.size();
        parts.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            ++i;
        size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

// Lines without comments and blanks, split into words.
std::vector<std::vector<std::string_view>> records(std::string_view text) {
    std::vector<std::vector<std::string_view>> out;
    for (auto line : split(text, '\n')) {
        auto w = words(line.substr(0, line.find('#')));
        if (!w.empty()) out.push_back(std::move(w));
    }
    return out;
}

// libkmod's alias_normalize: '-' is '_' except inside a [...] character class,
// where it is a range.
std::string normalize_alias(std::string_view alias) {
    std::string out(alias);
    bool in_class = false;
    for (char& c : out) {
        if (c == '[')
            in_class = true;
        else if (c == ']')
            in_class = false;
        else if (c == '-' && !in_class)
            c = '_';
    }
    return out;
}

bool matches(const std::string& pattern, const std::string& name) {
    return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

// Lists in first-seen order without repeats. A set beside them keeps this
// O(log n) per item: a hostile depmod file can repeat one name on a line
// hundreds of thousands of times, and a search of the list each time made
// that quadratic (found by the fuzzer).
class UniqueLists {
  public:
    void add(std::vector<std::string>& list, const std::string& item) {
        if (seen_.emplace(&list, item).second) list.push_back(item);
    }

  private:
    std::set<std::pair<const std::vector<std::string>*, std::string>> seen_;
};

// A path in modules.dep is relative to the kernel's module directory: one
// that is absolute or climbs out with ".." would have lethe copy a file from
// elsewhere into the initrd.
void check_module_path(std::string_view path, size_t line) {
    if (path.starts_with('/'))
        fail_input(
            "modules.dep:{}: '{}' is an absolute path; module paths are relative to the kernel's "
            "module directory",
            line, path);
    for (auto part : split(path, '/'))
        if (part == "..")
            fail_input("modules.dep:{}: '{}' climbs out of the kernel's module directory with '..'",
                       line, path);
}

void parse_dep(std::string_view text, ModuleIndex& index) {
    std::map<std::string, size_t> own_line; // module name -> the line that lists it first
    size_t number = 0;
    for (auto line : split(text, '\n')) {
        ++number;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        auto head = words(line.substr(0, colon));
        if (head.size() != 1) continue;
        check_module_path(head[0], number);
        std::string name = module_name_from_path(head[0]);
        auto [first, inserted] = own_line.emplace(name, number);
        if (!inserted)
            fail_input("modules.dep:{}: module '{}' again (first on line {}); depmod lists each "
                       "module once",
                       number, name, first->second);
        auto& module = index.modules[name];
        module.path = std::string(head[0]);
        for (auto dep : words(line.substr(colon + 1))) {
            check_module_path(dep, number);
            std::string dep_name = module_name_from_path(dep);
            module.dependencies.push_back(dep_name);
            // A dependency always has its own line; this only guards a truncated file.
            auto& entry = index.modules[dep_name];
            if (entry.path.empty()) entry.path = std::string(dep);
        }
    }
}

// "a -> b -> c -> a", from the frame that opened `back_to` to the top.
template <typename Frames>
[[noreturn]] void fail_cycle(const Frames& stack, const std::string& back_to) {
    std::string cycle;
    bool inside = false;
    for (const auto& frame : stack) {
        inside = inside || *frame.name == back_to;
        if (inside) cycle += *frame.name + " -> ";
    }
    fail_input("modules.dep has a dependency cycle: {}{}", cycle, back_to);
}

// depmod refuses to write a modules.dep with a cycle, so one means the file
// is corrupt: no load order exists. Depth-first with a stack of its own, as
// a chain of dependencies can be as long as the file.
void check_no_cycles(const ModuleIndex& index) {
    enum class State : uint8_t { unseen, open, done };
    std::map<std::string_view, State> state;
    struct Frame {
        const std::string* name;
        size_t next = 0; // the next dependency to follow
    };
    for (const auto& [root, unused] : index.modules) {
        if (state[root] != State::unseen) continue;
        std::vector<Frame> stack{{&root}};
        state[root] = State::open;
        while (!stack.empty()) {
            const auto& deps = index.modules.at(*stack.back().name).dependencies;
            if (stack.back().next == deps.size()) {
                state[*stack.back().name] = State::done;
                stack.pop_back();
                continue;
            }
            const std::string& dep = deps[stack.back().next++];
            State& seen = state[dep];
            if (seen == State::open) fail_cycle(stack, dep);
            if (seen == State::unseen) {
                seen = State::open;
                stack.push_back({&index.modules.find(dep)->first});
            }
        }
    }
}

void parse_softdep(std::string_view text, ModuleIndex& index) {
    UniqueLists unique;
    for (const auto& w : records(text)) {
        if (w.size() < 3 || w[0] != "softdep") continue;
        auto& soft = index.softdeps[normalize_module_name(w[1])];
        std::vector<std::string>* list =
            nullptr; // tokens before pre:/post: are ignored, as libkmod does
        for (size_t i = 2; i < w.size(); ++i) {
            if (w[i] == "pre:")
                list = &soft.pre;
            else if (w[i] == "post:")
                list = &soft.post;
            else if (list)
                unique.add(*list, std::string(w[i]));
        }
    }
}

void parse_builtin_modinfo(std::string_view text, ModuleIndex& index) {
    for (auto record : split(text, '\0')) {
        size_t dot = record.find('.');
        if (dot == std::string_view::npos || record.substr(dot + 1, 6) != "alias=") continue;
        std::string module = normalize_module_name(record.substr(0, dot));
        index.builtin.insert(module);
        index.builtin_aliases.push_back({normalize_alias(record.substr(dot + 7)), module});
    }
}

// "kernel 6.1.0-28-cloud (looked in /x/lib/modules/6.1.0-28-cloud: ...)"
std::string where(const ModuleIndex& index) {
    std::string kernel =
        index.kernel_version.empty() ? "the kernel" : "kernel " + index.kernel_version;
    std::string dir = index.directory.empty() ? "" : index.directory + ": ";
    return fmt::format("{} (looked in {}modules.dep, modules.alias, modules.builtin)", kernel, dir);
}

class LoadOrder {
  public:
    explicit LoadOrder(const ModuleIndex& index) : index_(index) {}

    void want(const std::string& name, bool required) {
        auto found = lookup_module(index_, name);
        if (found.kind == LookupKind::missing && required) {
            std::vector<std::string> known;
            for (const auto& [module, info] : index_.modules)
                known.push_back(module);
            known.insert(known.end(), index_.builtin.begin(), index_.builtin.end());
            fail_input("kernel module '{}' is neither a loadable module nor built into {}{}", name,
                       where(index_), did_you_mean(normalize_module_name(name), known));
        }
        if (found.kind == LookupKind::missing)
            spdlog::debug("initrd: optional module {} is not in the kernel", name);
        if (found.kind == LookupKind::builtin)
            spdlog::debug("initrd: module {} is built into the kernel", name);
        for (const auto& module : found.modules)
            visit(module);
    }

    std::vector<std::string> take() { return std::move(order_); }

  private:
    // One module on the way: what must load before it, then after it.
    struct Frame {
        std::string name;
        std::vector<std::string> before, after;
        size_t next_before = 0, next_after = 0;
        bool placed = false;
    };

    Frame frame_for(const std::string& name) {
        Frame frame{name, {}, {}};
        const auto& deps = index_.modules.at(name).dependencies;
        // modules.dep lists the closest dependency first; load the farthest first, as modprobe
        // does.
        frame.before.assign(deps.rbegin(), deps.rend());
        auto soft = index_.softdeps.find(name);
        if (soft != index_.softdeps.end()) {
            add_soft(name, soft->second.pre, frame.before);
            add_soft(name, soft->second.post, frame.after);
        }
        return frame;
    }

    void add_soft(const std::string& owner, const std::vector<std::string>& targets,
                  std::vector<std::string>& modules) {
        for (const auto& target : targets) {
            auto found = lookup_module(index_, target);
            if (found.modules.empty())
                spdlog::debug("initrd: softdep {} of {} has no loadable module", target, owner);
            modules.insert(modules.end(), found.modules.begin(), found.modules.end());
        }
    }

    // Depth-first, marking on entry (softdeps may form cycles; modules.dep
    // has none, check_no_cycles saw to that), with a stack of its own: a
    // chain of dependencies can be as long as modules.dep.
    void visit(const std::string& root) {
        if (!visited_.insert(root).second) return;
        std::vector<Frame> stack;
        stack.push_back(frame_for(root));
        while (!stack.empty()) {
            Frame& top = stack.back();
            std::string next;
            if (top.next_before < top.before.size()) {
                next = top.before[top.next_before++];
            } else {
                if (!top.placed) place(top.name);
                top.placed = true;
                if (top.next_after == top.after.size()) {
                    stack.pop_back();
                    continue;
                }
                next = top.after[top.next_after++];
            }
            if (visited_.insert(next).second) stack.push_back(frame_for(next));
        }
    }

    // A module loads only after what modules.dep says it needs. A softdep
    // can ask for the opposite (`softdep a pre: b` where b needs a), and
    // modprobe would then fail too: the kernel's files contradict each other.
    void place(const std::string& name) {
        for (const auto& dep : index_.modules.at(name).dependencies)
            if (!placed_.count(dep))
                fail_input("kernel module '{}' needs '{}' (modules.dep), but a softdep puts it "
                           "before '{}' (modules.softdep): the two contradict each other",
                           name, dep, dep);
        placed_.insert(name);
        order_.push_back(name);
    }

    const ModuleIndex& index_;
    std::set<std::string> visited_, placed_;
    std::vector<std::string> order_;
};

std::string read_if_present(const stage::TreeRoot& tree, const std::string& path) {
    return tree.read(path).value_or("");
}

} // namespace

std::string normalize_module_name(std::string_view name) {
    std::string out(name);
    std::replace(out.begin(), out.end(), '-', '_');
    return out;
}

std::string module_name_from_path(std::string_view path) {
    size_t slash = path.rfind('/');
    std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
    return normalize_module_name(base.substr(0, base.find('.')));
}

std::string uncompressed_module_path(std::string_view path) {
    for (std::string_view suffix : {".xz", ".zst", ".gz"}) {
        if (path.size() > suffix.size() + 3 && path.ends_with(suffix) &&
            path.substr(0, path.size() - suffix.size()).ends_with(".ko"))
            return std::string(path.substr(0, path.size() - suffix.size()));
    }
    return std::string(path);
}

ModuleIndex parse_module_index(std::string_view dep_text, std::string_view softdep_text,
                               std::string_view builtin_text, std::string_view alias_text,
                               std::string_view builtin_modinfo) {
    ModuleIndex index;
    parse_dep(dep_text, index);
    check_no_cycles(index);
    parse_softdep(softdep_text, index);
    for (const auto& w : records(builtin_text))
        index.builtin.insert(module_name_from_path(w[0]));
    for (const auto& w : records(alias_text))
        if (w.size() == 3 && w[0] == "alias")
            index.aliases.push_back({normalize_alias(w[1]), normalize_module_name(w[2])});
    parse_builtin_modinfo(builtin_modinfo, index);
    return index;
}

ModuleLookup lookup_module(const ModuleIndex& index, std::string_view name) {
    std::string key = normalize_alias(name);
    if (index.modules.count(key)) return {LookupKind::module, {key}};
    ModuleLookup found{LookupKind::alias, {}};
    UniqueLists unique;
    bool builtin_match = false;
    for (const auto& alias : index.aliases) {
        if (!matches(alias.pattern, key)) continue;
        if (index.modules.count(alias.module))
            unique.add(found.modules, alias.module);
        else
            builtin_match = builtin_match || index.builtin.count(alias.module) > 0;
    }
    if (!found.modules.empty()) return found;
    if (builtin_match || index.builtin.count(key)) return {LookupKind::builtin, {}};
    for (const auto& alias : index.builtin_aliases)
        if (matches(alias.pattern, key)) return {LookupKind::builtin, {}};
    return {LookupKind::missing, {}};
}

std::vector<std::string> module_load_order(const ModuleIndex& index,
                                           const std::vector<std::string>& wanted,
                                           const std::vector<std::string>& optional) {
    LoadOrder order(index);
    for (const auto& name : wanted)
        order.want(name, true);
    for (const auto& name : optional)
        order.want(name, false);
    return order.take();
}

std::vector<std::vector<std::string>> device_patterns(const ModuleIndex& index,
                                                      const std::vector<std::string>& wanted,
                                                      const std::vector<std::string>& optional,
                                                      const std::vector<std::string>& order) {
    auto required = module_load_order(index, wanted, {});
    std::set<std::string> always(required.begin(), required.end());
    std::map<std::string, std::vector<std::string>> patterns;
    UniqueLists unique;
    for (const auto& name : optional) {
        for (const auto& module : lookup_module(index, name).modules) {
            std::vector<std::string> own;
            UniqueLists unique_own; // `own` is new each time, perhaps at the same address
            // Device aliases are "bus:..." like the modaliases they match;
            // others (crypto-crc32c, block-major-8-*) name no device.
            for (const auto& alias : index.aliases)
                if (alias.module == module && alias.pattern.find(':') != std::string::npos)
                    unique_own.add(own, alias.pattern);
            for (const auto& needed : module_load_order(index, {}, {module})) {
                if (own.empty()) always.insert(needed); // no device to wait for: as before, always
                for (const auto& pattern : own) unique.add(patterns[needed], pattern);
            }
        }
    }
    std::vector<std::vector<std::string>> out;
    for (const auto& module : order)
        out.push_back(always.count(module) ? std::vector<std::string>{} : patterns[module]);
    return out;
}

InitrdModules resolve_initrd_modules(const plan::Plan& plan, const stage::TreeRoot& tree,
                                     const std::string& modules_dir) {
    InitrdModules result;
    if (plan.initrd.modules.empty() && plan.initrd.optional_modules.empty()) return result;
    std::string version = std::filesystem::path(modules_dir).filename().string();
    auto dep = tree.read(modules_dir + "/modules.dep");
    if (!dep)
        fail_input("kernel {} has no {}: its modules are missing or depmod was not run", version,
                   tree.shown(modules_dir + "/modules.dep"));
    ModuleIndex index;
    try {
        index = parse_module_index(*dep, read_if_present(tree, modules_dir + "/modules.softdep"),
                                   read_if_present(tree, modules_dir + "/modules.builtin"),
                                   read_if_present(tree, modules_dir + "/modules.alias"),
                                   read_if_present(tree, modules_dir + "/modules.builtin.modinfo"));
    } catch (const Error& e) {
        if (e.code() != ExitCode::bad_input) throw;
        fail_input("kernel {} ({}): {}", version, tree.shown(modules_dir), e.what());
    }
    index.kernel_version = version;
    index.directory = modules_dir;
    auto order = module_load_order(index, plan.initrd.modules, plan.initrd.optional_modules);
    result.patterns = device_patterns(index, plan.initrd.modules, plan.initrd.optional_modules, order);
    for (const auto& name : order) {
        const auto& path = index.modules.at(name).path;
        // parse_module_index refused absolute and '..' paths already.
        std::string source = modules_dir + "/" + path;
        if (!tree.is_regular_file(source)) {
            auto link = tree.first_link(source);
            fail_input("modules.dep of kernel {} lists '{}', which is not a file in the image{}",
                       version, path, link ? ": " + *link : "");
        }
        result.names.push_back(name);
        result.paths_in_initrd.push_back("/lib/modules/" + version + "/" +
                                         uncompressed_module_path(path));
        result.sources.push_back(tree.host_path(source));
    }
    return result;
}

} // namespace lethe::initramfs
