#include "initrd/mount_options.hpp"

#include <sys/mount.h>

namespace lethe::init {
namespace {

struct FlagWord {
    const char* name;
    unsigned long set, clear;
};

// The words mount(8) turns into flags rather than passing to the filesystem.
constexpr FlagWord flag_words[] = {
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},
    {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},
    {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},
    {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},
    {"noatime", MS_NOATIME, 0},
    {"atime", 0, MS_NOATIME},
    {"nodiratime", MS_NODIRATIME, 0},
    {"diratime", 0, MS_NODIRATIME},
    {"relatime", MS_RELATIME, 0},
    {"norelatime", 0, MS_RELATIME},
    {"strictatime", MS_STRICTATIME, 0},
    {"lazytime", MS_LAZYTIME, 0},
    {"defaults", 0, 0},
};

} // namespace

MountOptions split_mount_options(std::string_view options) {
    MountOptions out;
    while (!options.empty()) {
        size_t comma = options.find(',');
        std::string_view word = options.substr(0, comma);
        options = comma == std::string_view::npos ? std::string_view() : options.substr(comma + 1);
        if (word.empty()) continue;
        bool is_flag = false;
        for (const auto& flag : flag_words) {
            if (word != flag.name) continue;
            out.flags = (out.flags | flag.set) & ~flag.clear;
            is_flag = true;
        }
        if (is_flag) continue;
        if (!out.data.empty()) out.data += ',';
        out.data += word;
    }
    return out;
}

} // namespace lethe::init
