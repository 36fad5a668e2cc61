// lethe-init: runs as /init in a lethe initrd. See initrd/README.md.
// main() is the list of boot steps; each step logs what it did.

#include "initrd/block_devices.hpp"
#include "initrd/init_config.hpp"
#include "initrd/console_log.hpp"
#include "initrd/device_modules.hpp"
#include "initrd/failure.hpp"
#include "initrd/fs_util.hpp"
#include "initrd/fsck_status.hpp"
#include "initrd/grow_persist.hpp"
#include "initrd/kernel_modules.hpp"
#include "initrd/mount_options.hpp"
#include "initrd/persisted_paths.hpp"
#include "initrd/programs.hpp"
#include "initrd/switch_root.hpp"
#include "initrd/tree_ops.hpp"
#include "initrd/usr_verity.hpp"
#include "initrd/verity_device.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lethe::init;

namespace {

constexpr const char* new_root = "/newroot";

// What has been done so far, for the failure path.
struct Progress {
    InitConfig config;
    bool root_mounted = false, usr_mounted = false, api_moved = false;
    std::optional<RunningProgram> check; // e2fsck, running
};

void load_modules(const InitConfig& config) {
    for (const auto& module : config.modules)
        log_step("%s module %s", describe(load_module(module)), module.c_str());
}

// Disk drivers for the devices present now. Called again while waiting for
// the partitions, for devices found late. A driver that fails to load is
// only logged: the partitions may well be on another disk.
void load_device_modules(std::vector<DeviceModule>& pending) {
    load_device_modules(pending, [] { return device_modaliases(); }, [](const DeviceModule& module) {
        try {
            log_step("%s module %s", describe(load_module(module.path)), module.path.c_str());
        } catch (const Failure& error) {
            log_error("%s", error.what());
        }
    });
}

void mount_new_root(Progress& progress, const std::string& usr_device) {
    const InitConfig& config = progress.config;
    MountOptions options = split_mount_options(config.root_tmpfs_options);
    make_directories(new_root, 0755);
    mount_or_fail("tmpfs", new_root, "tmpfs", options.flags, options.data);
    progress.root_mounted = true;
    log_step("mounted / (tmpfs, %s)", config.root_tmpfs_options.c_str());
    std::string usr = join(new_root, "/usr");
    make_directories(usr, 0755);
    mount_or_fail(usr_device, usr, config.usr.fstype.c_str(), MS_RDONLY);
    progress.usr_mounted = true;
    log_step("mounted /usr (%s, %s, %s)", config.usr.fstype.c_str(),
             config.usr_verity ? "dm-verity" : config.usr.tag.c_str(), usr_device.c_str());
}

// The usr-merge links and the API file systems' mount points first: e2fsck
// needs /dev and /proc bound there while the factory trees are copied.
void make_links_and_directories(const InitConfig& config) {
    for (const auto& link : config.links) {
        std::string path = join(new_root, link.name);
        if (symlink(link.target.c_str(), path.c_str()) != 0) fail_errno("cannot create link", path);
    }
    for (const auto& directory : config.directories)
        ensure_directory(join(new_root, directory.path), directory.mode);
    log_step("created %zu usr-merge links and %zu directories", config.links.size(), config.directories.size());
}

void copy_factory_trees(const InitConfig& config) {
    for (const auto& factory : config.factories) {
        std::string destination = join(new_root, factory.destination);
        make_directories(destination.substr(0, destination.rfind('/')), 0755);
        copy_tree(join(new_root, factory.source), destination);
        log_step("copied %s to %s", factory.source.c_str(), factory.destination.c_str());
    }
}

// The image's e2fsck with ARGS, chrooted in the new root (its libraries are
// in /usr), not waited for.
void start_fsck(Progress& progress, const std::vector<std::string>& args) {
    std::vector<std::string> argv{progress.config.fsck};
    argv.insert(argv.end(), args.begin(), args.end());
    bind_api_filesystems(new_root); // e2fsck needs /dev and /proc in its root
    try {
        progress.check = start_program(argv, {new_root, false});
    } catch (const Failure&) {
        unbind_api_filesystems(new_root);
        throw;
    }
}

// e2fsck -p runs while lethe-init copies the factory trees: the guest has
// more than one CPU, and under emulation e2fsck's start alone takes a third
// of a second.
void start_check(Progress& progress, const std::string& device) {
    const InitConfig& config = progress.config;
    if (config.fsck.empty()) {
        log_step("the image has no e2fsck: %s will be mounted unchecked", device.c_str());
        return;
    }
    start_fsck(progress, {"-p", device});
    log_step("started %s -p %s", config.fsck.c_str(), device.c_str());
}

// Waits for e2fsck and takes its binds away. Returns its status, -1 if none ran.
int wait_for_check(Progress& progress) {
    if (!progress.check) return -1;
    RunningProgram check = *progress.check;
    progress.check.reset();
    int status = 0;
    try {
        status = wait_program(check);
    } catch (const Failure&) {
        unbind_api_filesystems(new_root);
        throw;
    }
    unbind_api_filesystems(new_root);
    return status;
}

// What e2fsck -p cannot fix alone (an unreadable superblock is status 8), e2fsck
// -f -y may: nobody is at a server's console to answer its questions, and a
// persistent partition that never mounts is a machine that never boots.
void repair_persistent(Progress& progress, const std::string& device, const std::string& preen_result) {
    const std::string& fsck = progress.config.fsck;
    log_step("%s; repairing it with %s -f -y, which answers yes to every fix and falls back to a backup "
             "superblock", preen_result.c_str(), fsck.c_str());
    start_fsck(progress, {"-f", "-y", device});
    int status = wait_for_check(progress);
    if (!fsck_passed(status))
        fail("cannot repair the persistent partition " + device + ": " + fsck + " -f -y exited " +
             describe_fsck_status(status) + "; it needs a manual check");
    log_step("repaired the persistent partition %s: %s -f -y exited %s", device.c_str(), fsck.c_str(),
             describe_fsck_status(status).c_str());
}

void finish_check(Progress& progress, const std::string& device) {
    const std::string& fsck = progress.config.fsck;
    int status = wait_for_check(progress);
    if (status < 0) return;
    if (fsck_passed(status)) {
        log_step("checked %s: %s -p exited %s", device.c_str(), fsck.c_str(), describe_fsck_status(status).c_str());
        return;
    }
    std::string result = fsck + " -p " + device + " exited " + describe_fsck_status(status);
    if (!fsck_may_repair(status)) fail(result + ": the persistent partition needs a manual check");
    repair_persistent(progress, device, result);
}

// Only after e2fsck has finished: it must not check a mounted file system.
void mount_persistent(const InitConfig& config, const std::string& device) {
    std::string mount_point = join(new_root, config.persist_mount);
    make_directories(mount_point, 0755);
    mount_or_fail(device, mount_point, config.persist.fstype.c_str(), persist_mount_flags);
    log_step("mounted %s (%s, nosuid,nodev,noexec, %s, %s)", config.persist_mount.c_str(), config.persist.fstype.c_str(),
             config.persist.tag.c_str(), device.c_str());
}

void bind_persisted_paths(const InitConfig& config) {
    std::string persist_root = join(new_root, config.persist_mount);
    size_t with_options = 0;
    for (const auto& bind : config.binds) {
        bind_mount(prepare_bind(new_root, persist_root, bind));
        if (bind.options.empty()) continue;
        log_step("bound %s with %s", bind.path.c_str(), bind.options.c_str());
        ++with_options;
    }
    log_step("bound %zu persisted paths from %s (%zu with options)", config.binds.size(),
             config.persist_mount.c_str(), with_options);
}

// What /usr is made from: its partition, or with usr_verity the data and
// hash partitions usrhash= names (a failure without usrhash=).
struct UsrPartitions {
    std::vector<WantedPartition> wanted;
    std::optional<UsrVerity> verity;
};

UsrPartitions usr_partitions(const InitConfig& config) {
    if (!config.usr_verity) return {{{config.usr.tag, "/usr"}}, std::nullopt};
    UsrVerity verity = usr_verity_from_cmdline(read_text_file("/proc/cmdline"));
    log_step("/usr is checked by dm-verity: usrhash=%s gives %s and %s", verity.root_hash.c_str(),
             verity.data.tag.c_str(), verity.hash.tag.c_str());
    return {{verity.data, verity.hash}, verity};
}

// The device /usr is mounted from: the partition, or the verity device over
// the data and hash partitions (DEVICES, in the order usr_partitions gave).
std::string open_usr(const InitConfig& config, const UsrPartitions& usr, const std::vector<std::string>& devices) {
    if (!usr.verity) return devices[0];
    return open_usr_verity(*usr.verity, devices[0], devices[1], *config.usr_verity);
}

// The /usr and persistent partitions, or a failure naming what is missing.
// Without the persistent partition /usr is mounted all the same, and the
// usr-merge links made, so that a rescue shell can run from the image.
std::array<std::string, 2> find_partitions(Progress& progress) {
    const InitConfig& config = progress.config;
    std::vector<DeviceModule> device_modules = config.device_modules;
    UsrPartitions usr_parts = usr_partitions(config);
    std::vector<WantedPartition> wanted = usr_parts.wanted;
    wanted.push_back({config.persist.tag, "the persistent partition"});
    FoundPartitions found =
        wait_for_partitions(wanted, config.timeout_seconds, [&] { load_device_modules(device_modules); });
    std::vector<std::string> usr_devices(found.devices.begin(), found.devices.end() - 1);
    const std::string& persist = found.devices.back();
    bool usr_found = std::none_of(usr_devices.begin(), usr_devices.end(), [](const auto& d) { return d.empty(); });
    if (usr_found && persist.empty()) {
        try {
            mount_new_root(progress, open_usr(config, usr_parts, usr_devices));
            make_links_and_directories(config);
        } catch (const Failure& error) {
            log_error("%s", error.what()); // the missing partition is still the failure to report
        }
    }
    if (!found.missing.empty()) fail(found.missing);
    for (size_t i = 0; i < found.devices.size(); ++i)
        log_step("found %s (%s)", found.devices[i].c_str(), wanted[i].tag.c_str());
    std::string usr = open_usr(config, usr_parts, usr_devices);
    return {usr, persist};
}

[[noreturn]] void boot(Progress& progress, int argc, char** argv) {
    mount_api_filesystems();
    attach_console();
    log_step("lethe-init started");
    progress.config = parse_init_config(read_text_file(config_path));
    const InitConfig& config = progress.config;
    load_modules(config);
    auto [usr, persist] = find_partitions(progress);
    // Before anything reads or mounts the persistent partition (e2fsck included).
    if (config.grow_persist) grow_persist_partition(persist);
    mount_new_root(progress, usr);
    make_links_and_directories(config);
    start_check(progress, persist);
    copy_factory_trees(config);
    finish_check(progress, persist);
    mount_persistent(config, persist);
    if (config.grow_persist)
        grow_persist_filesystem(persist, join(new_root, config.persist_mount), config.persist_mount);
    bind_persisted_paths(config);
    check_init(new_root, config.init);
    move_api_filesystems(new_root);
    progress.api_moved = true;
    log_step("switching root to %s", config.init.c_str());
    switch_root(new_root, config.init, std::vector<std::string>(argv, argv + argc));
}

[[noreturn]] void reboot_after(int seconds) {
    log_step("rebooting in %d seconds", seconds);
    sleep(static_cast<unsigned>(seconds));
    sync();
    reboot(RB_AUTOBOOT);
    for (;;) pause(); // PID 1 must never exit: the kernel would panic
}

// The rescue shell runs in the new root when /usr is there (it is the
// image's shell), else in the initrd if it happens to carry /bin/sh.
void run_rescue_shell(Progress& progress) {
    const std::string& rescue = progress.config.rescue;
    if (rescue.empty()) {
        log_step("no rescue shell: the layout's initrd.rescue_shell is off");
        return;
    }
    RunOptions options{"", true};
    std::string shell = "/bin/sh";
    if (progress.usr_mounted && exists(join(new_root, rescue))) {
        if (!progress.api_moved) move_api_filesystems(new_root);
        progress.api_moved = true;
        options.root = new_root;
        shell = rescue;
    } else if (!exists(shell)) {
        log_error("no rescue shell: '%s' is not in the image and the initrd has no /bin/sh", rescue.c_str());
        return;
    }
    log_step("starting rescue shell %s%s; exit it to reboot", shell.c_str(), options.root.empty() ? "" : " in /newroot");
    run_program({shell}, options);
}

[[noreturn]] void fail_safe(Progress& progress, const char* message) {
    log_error("%s", message);
    try {
        wait_for_check(progress); // a failure beside e2fsck: let it finish before the shell
    } catch (const std::exception& error) {
        log_error("%s", error.what());
    }
    try {
        run_rescue_shell(progress);
    } catch (const std::exception& error) {
        log_error("rescue shell: %s", error.what());
    }
    reboot_after(progress.config.rescue_delay_seconds);
}

int check_config(const char* path) {
    try {
        InitConfig config = parse_init_config(read_text_file(path));
        std::printf("%s: %zu modules (and %zu for devices), usr %s (%s), persist %s (%s) at %s, "
                    "%zu binds, init %s%s\n",
                    path, config.modules.size(), config.device_modules.size(),
                    config.usr_verity ? "dm-verity (usrhash=)" : config.usr.tag.c_str(),
                    config.usr.fstype.c_str(),
                    config.persist.tag.c_str(), config.persist.fstype.c_str(), config.persist_mount.c_str(),
                    config.binds.size(), config.init.c_str(),
                    config.grow_persist ? ", grows persist" : "");
        return 0;
    } catch (const Failure& error) {
        std::fprintf(stderr, "lethe-init: error: %s\n", error.what());
        return 2;
    }
}

} // namespace

int main(int argc, char** argv) {
    if (getpid() != 1) {
        // Not in an initrd: only offer a check of a config file.
        if (argc == 3 && std::strcmp(argv[1], "--check") == 0) return check_config(argv[2]);
        std::fprintf(stderr, "usage: lethe-init --check FILE (it runs as PID 1 in a lethe initrd)\n");
        return 2;
    }
    umask(0022);
    Progress progress;
    try {
        boot(progress, argc, argv);
    } catch (const std::exception& error) {
        fail_safe(progress, error.what());
    } catch (...) {
        fail_safe(progress, "unexpected failure");
    }
}
