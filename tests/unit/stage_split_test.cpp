#include "plan/plan.hpp"
#include "spec/parse.hpp"
#include "stage/accounts.hpp"
#include "stage/kernel.hpp"
#include "stage/packages.hpp"
#include "stage/split.hpp"
#include "stage/units.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

using test::TempDir;
using test::write;

// A small merged-usr rootfs: /bin is a link, /sbin a real directory.
void make_rootfs(const fs::path& root) {
    write(root / "usr/bin/sh", "#!shell");
    fs::create_directories(root / "usr/sbin");
    fs::create_symlink("usr/bin", root / "bin");
    write(root / "sbin/init", "#!init");
    write(root / "etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/srv:/bin/sh\n");
    write(root / "etc/group", "root:x:0:\napp:x:1001:\n");
    write(root / "etc/machine-id", "");
    write(root / "var/lib/app/state", "seed");
    chown((root / "var/lib/app").c_str(), 1000, 1001);
    write(root / "var/cache/x", "cache");
    fs::create_directories(root / "tmp");
    chmod((root / "tmp").c_str(), 01777);
    fs::create_directories(root / "proc/1");
    write(root / "boot/vmlinuz-6.1.0-9-amd64", "kernel");
    fs::create_symlink("boot/vmlinuz-6.1.0-9-amd64", root / "vmlinuz");
}

plan::Plan plan_for(const std::string& persistence) {
    std::string text = "name: t\nrootfs: {directory: /}\noutputs: [raw]\nlayout:\n"
                       "  disk: {size: 1G, partitions: [{name: usr, type: usr, size: auto, filesystem: erofs},"
                       " {name: persist, type: linux-generic, size: rest, filesystem: ext4}]}\n"
                       "  root: {tmpfs: {size: 64M}}\n"
                       "  persistence: {partition: persist, mount: /persist, " + persistence + "}\n";
    return plan::make_plan(spec::parse_recipe(text, "t.yaml"));
}

} // namespace

TEST_CASE("split moves /usr, factory copies and persisted paths apart", "[stage]") {
    TempDir tmp;
    fs::path root = tmp.path / "rootfs", persist = tmp.path / "persist";
    make_rootfs(root);
    auto plan = plan_for("directories: [/var/lib, {path: /srv/data, user: app, mode: \"0700\"}], files: [/etc/machine-id]");
    stage::SplitTree tree = stage::split_rootfs(root, persist, plan, 1700000000);

    CHECK(tree.usr_tree == root / "usr");
    // /sbin was a directory: merged into /usr/sbin and replaced by a link.
    CHECK(fs::exists(root / "usr/sbin/init"));
    REQUIRE(tree.links.size() == 2);
    CHECK(tree.links[0].name == "bin");
    CHECK(tree.links[0].target == "usr/bin");
    CHECK(tree.links[1].name == "sbin");
    CHECK(tree.links[1].target == "usr/sbin");
    // Everything else at the top becomes a factory copy under /usr/share/factory.
    CHECK(tree.factory == std::vector<std::string>{"etc", "srv", "var"});
    CHECK(read_file(root / "usr/share/factory/var/cache/x") == "cache");
    CHECK_FALSE(fs::exists(root / "usr/share/factory/boot"));
    CHECK_FALSE(fs::exists(root / "vmlinuz"));
    // API directories are empty mount points with their modes.
    REQUIRE(tree.directories.size() == 5);
    CHECK(tree.directories[3].path == "/sys");
    CHECK(tree.directories[4].path == "/tmp");
    CHECK(tree.directories[4].mode == 01777);
    // Persisted content moved, leaving an empty mount point.
    CHECK(read_file(persist / "var/lib/app/state") == "seed");
    CHECK(fs::is_empty(root / "usr/share/factory/var/lib"));
    struct stat st {};
    REQUIRE(lstat((persist / "var/lib/app").c_str(), &st) == 0);
    CHECK(st.st_uid == 1000);
    REQUIRE(tree.persisted.size() == 3);
    CHECK(tree.persisted[0].path == "/etc/machine-id");
    CHECK_FALSE(tree.persisted[0].directory);
    CHECK(tree.persisted[1].path == "/srv/data"); // created: the rootfs had none
    CHECK(tree.persisted[1].uid == 1000);
    CHECK(tree.persisted[1].gid == 0);
    CHECK(tree.persisted[1].mode == 0700);
    REQUIRE(lstat((persist / "srv/data").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    CHECK(st.st_mtime == 1700000000);
}

TEST_CASE("split refuses a persisted symlink and an unknown owner", "[stage]") {
    TempDir tmp;
    fs::path root = tmp.path / "rootfs";
    make_rootfs(root);
    fs::create_symlink("/etc/passwd", root / "var/lib/link");
    CHECK_THROWS_WITH(stage::split_rootfs(root, tmp.path / "p1", plan_for("files: [/var/lib/link]"), 0),
                      Catch::Contains("persisted path '/var/lib/link' is a symlink in the rootfs"));
    CHECK_THROWS_WITH(stage::split_rootfs(root, tmp.path / "p2", plan_for("directories: [{path: /srv, user: nobody}]"), 0),
                      Catch::Contains("the image has no user 'nobody' in /etc/passwd"));
}

TEST_CASE("accounts come from the image's passwd and group", "[stage]") {
    auto accounts = stage::parse_accounts("root:x:0:0::/root:/bin/sh\nsshd:x:105:65534::/run/sshd:/usr/sbin/nologin\nbroken\n",
                                          "root:x:0:\nssh:x:106:\n");
    CHECK(stage::user_id(accounts, "sshd") == 105u);
    CHECK(stage::user_id(accounts, "42") == 42u);
    CHECK_FALSE(stage::user_id(accounts, "broken").has_value());
    CHECK(stage::group_id(accounts, "ssh") == 106u);
}

TEST_CASE("the newest kernel of a rootfs is found, or the one asked for", "[stage]") {
    TempDir tmp;
    for (const char* v : {"6.1.0-9-amd64", "6.1.0-10-amd64"}) {
        write(tmp.path / "boot" / (std::string("vmlinuz-") + v), "k");
        fs::create_directories(tmp.path / "usr/lib/modules" / v);
    }
    CHECK(stage::find_kernel(tmp.path, "", catalog::native_target()).version == "6.1.0-10-amd64");
    CHECK(stage::find_kernel(tmp.path, "6.1.0-9-amd64", catalog::native_target()).image == tmp.path / "boot/vmlinuz-6.1.0-9-amd64");
    CHECK_THROWS_WITH(stage::find_kernel(tmp.path, "5.10", catalog::native_target()), Catch::Contains("kernel.version 5.10 is not in the rootfs; it has 6.1.0-9-amd64, 6.1.0-10-amd64"));
    TempDir empty;
    CHECK_THROWS_WITH(stage::find_kernel(empty.path, "", catalog::native_target()), Catch::Contains("the rootfs has no kernel"));
}

TEST_CASE("dpkg's status file lists installed packages only", "[stage]") {
    auto packages = stage::parse_dpkg_status("Package: zsh\nStatus: install ok installed\nVersion: 5.9\nArchitecture: amd64\n\n"
                                             "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
                                             "Package: bash\nStatus: install ok installed\nVersion: 5.2\nArchitecture: amd64\n");
    REQUIRE(packages.size() == 2);
    CHECK(packages[0].name == "bash");
    CHECK(packages[1].version == "5.9");
}

TEST_CASE("units are installed when the image has what they need, and enabled", "[stage]") {
    TempDir tmp;
    fs::path root = tmp.path / "rootfs", templates = tmp.path / "templates";
    write(templates / "a.service", "# lethe-requires: /usr/sbin/sshd\n[Unit]\n[Install]\nWantedBy=multi-user.target ssh.service\n");
    write(templates / "b.service", "# lethe-requires: /usr/bin/missing\n[Install]\nWantedBy=multi-user.target\n");
    write(root / "usr/sbin/sshd", "");
    auto installed = stage::install_units(root, templates, {"systemd-firstboot.service"}, 0);
    CHECK(installed == std::vector<std::string>{"a.service"});
    CHECK(fs::read_symlink(root / "etc/systemd/system/multi-user.target.wants/a.service") == "/etc/systemd/system/a.service");
    CHECK(fs::exists(fs::symlink_status(root / "etc/systemd/system/ssh.service.wants/a.service")));
    CHECK_FALSE(fs::exists(root / "etc/systemd/system/b.service"));
    CHECK(fs::read_symlink(root / "etc/systemd/system/systemd-firstboot.service") == "/dev/null");
    CHECK(stage::parse_unit_list("# c\nfoo.service # why\n\n bar.timer\n") == std::vector<std::string>{"foo.service", "bar.timer"});
}

TEST_CASE("drop-in directories amend the image's own units", "[stage]") {
    TempDir tmp;
    fs::path root = tmp.path / "rootfs", templates = tmp.path / "templates";
    write(templates / "x.service.d/lethe.conf", "[Unit]\nConditionFirstBoot=yes\n");
    fs::create_directories(root); // a staged tree always exists
    auto installed = stage::install_units(root, templates, {}, 0);
    CHECK(installed == std::vector<std::string>{"x.service.d/"});
    CHECK(read_file(root / "etc/systemd/system/x.service.d/lethe.conf") == "[Unit]\nConditionFirstBoot=yes\n");
}

TEST_CASE("presets are applied at build time to a rootfs with systemd, enable-only", "[stage]") {
    TempDir tmp;
    CHECK(stage::preset_commands(tmp.path).empty());
    write(tmp.path / "usr/lib/systemd/system-preset/90-systemd.preset", "enable systemd-networkd.service\n");
    auto commands = stage::preset_commands(tmp.path);
    REQUIRE(commands.size() == 1);
    CHECK(exec::to_string(commands[0]) ==
          "systemctl --root=" + tmp.path.string() + " --preset-mode=enable-only preset-all");
}
