// The readers of modules.dep, modules.softdep, modules.builtin, modules.alias
// and modules.builtin.modinfo, and the load order resolved from them. The
// input is the five files joined by \x01 (which none of them holds). Every
// module that is loaded must come after the modules.dep dependencies it has.

#include "fuzz_support.hpp"
#include "initramfs/resolve.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <map>

namespace {

std::vector<std::string_view> parts_of(std::string_view text) {
    std::vector<std::string_view> parts;
    while (parts.size() < 4) {
        size_t end = text.find('\x01');
        if (end == std::string_view::npos) break;
        parts.push_back(text.substr(0, end));
        text.remove_prefix(end + 1);
    }
    parts.push_back(text);
    parts.resize(5);
    return parts;
}

void check_order(const lethe::initramfs::ModuleIndex& index,
                 const std::vector<std::string>& order) {
    std::map<std::string, size_t> position;
    for (size_t i = 0; i < order.size(); ++i)
        lethe::fuzz::require(position.emplace(order[i], i).second, "a module is loaded twice");
    for (const auto& name : order)
        for (const auto& dep : index.modules.at(name).dependencies)
            lethe::fuzz::require(position.count(dep) && position[dep] < position[name],
                                 "a module is loaded before its dependency");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace lethe::initramfs;
    auto parts = parts_of(std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        ModuleIndex index = parse_module_index(parts[0], parts[1], parts[2], parts[3], parts[4]);
        std::vector<std::string> names;
        for (const auto& [name, module] : index.modules)
            if (names.size() < 8) names.push_back(name);
        for (const auto& alias : index.aliases)
            if (names.size() < 12) names.push_back(alias.pattern);
        auto order = module_load_order(index, {}, names);
        check_order(index, order);
        device_patterns(index, {}, names, order);
        if (!names.empty()) module_load_order(index, {names.front() + "x"}, {});
    } catch (const lethe::Error& e) {
        lethe::fuzz::require(e.code() == lethe::ExitCode::bad_input,
                             "a modules error is not bad input");
    }
    return 0;
}
