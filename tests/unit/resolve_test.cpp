#include "initramfs/cpio_writer.hpp"
#include "initramfs/resolve.hpp"
#include "plan/plan.hpp"
#include "util/error.hpp"

#include <algorithm>
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdlib.h>

using namespace lethe;
using namespace lethe::initramfs;
namespace fs = std::filesystem;

namespace {

using test::TempDir;
using test::write;

// Snippets in the shape of Debian 12's 6.1 cloud kernel's depmod output,
// except that ext4 is a module here and vfat's modules are xz-compressed.
const char* dep_text = R"(kernel/arch/x86/crypto/crc32c-intel.ko:
kernel/crypto/crc32c_generic.ko:
kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/fs/mbcache.ko:
kernel/fs/jbd2/jbd2.ko:
kernel/lib/crc16.ko:
kernel/lib/libcrc32c.ko:
kernel/fs/erofs/erofs.ko: kernel/lib/libcrc32c.ko
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/scsi/virtio_scsi.ko: kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/scsi/scsi_mod.ko: kernel/drivers/scsi/scsi_common.ko
kernel/drivers/scsi/scsi_common.ko:
kernel/drivers/scsi/sd_mod.ko: kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko
kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz
kernel/fs/fat/fat.ko.xz:
)";

const char* softdep_text = R"(# Soft dependencies extracted from modules themselves.
softdep cifs gcm
softdep ext4 pre: crc32c
softdep libcrc32c pre: crc32c
softdep btrfs pre: crypto-crc32c
)";

const char* builtin_text =
    "kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/nvme/host/nvme.ko\n";

const char* alias_text = R"(# Aliases extracted from modules themselves.
alias crypto-crc32c-intel crc32c_intel
alias crc32c-intel crc32c_intel
alias crypto-crc32c crc32c_intel
alias crc32c crc32c_intel
alias crypto-crc32c-generic crc32c_generic
alias crc32c-generic crc32c_generic
alias crypto-crc32c crc32c_generic
alias crc32c crc32c_generic
alias fs-ext4 ext4
alias ext3 ext4
alias fs-erofs erofs
alias virtio:d00000002v* virtio_blk
alias virtio:d00000008v* virtio_scsi
alias block-major-8-* sd_mod
alias scsi:t-0x00* sd_mod
alias scsi:t-0x0e* sd_mod
)";

ModuleIndex sample_index() {
    return parse_module_index(dep_text, softdep_text, builtin_text, alias_text);
}

size_t position(const std::vector<std::string>& order, const std::string& name) {
    auto it = std::find(order.begin(), order.end(), name);
    REQUIRE(it != order.end());
    return static_cast<size_t>(it - order.begin());
}

} // namespace

TEST_CASE("module names and paths", "[initrd]") {
    CHECK(normalize_module_name("crc32c-intel") == "crc32c_intel");
    CHECK(module_name_from_path("kernel/arch/x86/crypto/crc32c-intel.ko.zst") == "crc32c_intel");
    CHECK(module_name_from_path("ext4.ko") == "ext4");
    CHECK(uncompressed_module_path("kernel/fs/fat/vfat.ko.xz") == "kernel/fs/fat/vfat.ko");
    CHECK(uncompressed_module_path("kernel/fs/fat/vfat.ko.zst") == "kernel/fs/fat/vfat.ko");
    CHECK(uncompressed_module_path("kernel/fs/fat/vfat.ko.gz") == "kernel/fs/fat/vfat.ko");
    CHECK(uncompressed_module_path("kernel/fs/fat/vfat.ko") == "kernel/fs/fat/vfat.ko");
}

TEST_CASE("depmod files are parsed into an index", "[initrd]") {
    auto index = sample_index();
    CHECK(index.modules.size() == 17);
    CHECK(index.modules.at("ext4").path == "kernel/fs/ext4/ext4.ko");
    CHECK(index.modules.at("ext4").dependencies ==
          std::vector<std::string>{"crc16", "mbcache", "jbd2"});
    CHECK(index.modules.at("crc32c_intel").path == "kernel/arch/x86/crypto/crc32c-intel.ko");
    CHECK(index.modules.at("vfat").path == "kernel/fs/fat/vfat.ko.xz");
    CHECK(index.softdeps.at("ext4").pre == std::vector<std::string>{"crc32c"});
    CHECK(index.softdeps.at("cifs").pre.empty()); // no pre:/post: token: ignored, as libkmod does
    CHECK(index.builtin == std::set<std::string>{"nvme", "virtio_pci"});
    CHECK(index.aliases.front().pattern == "crypto_crc32c_intel");
}

TEST_CASE("softdep lists keep the first of each name, in linear time", "[initrd][fuzz]") {
    // The fuzzer's hostile depmod files: one line with 50,000 names, each twice.
    // A search of the list for each name made this minutes of work.
    std::string line = "softdep ext4 pre:";
    for (int round = 0; round < 2; ++round)
        for (int i = 0; i < 50000; ++i) line += " m" + std::to_string(i);
    line += " post: crc16 crc16 mbcache crc16\n";
    auto index = initramfs::parse_module_index("", line + "softdep ext4 pre: m7 extra\n", "", "", "");
    const auto& pre = index.softdeps.at("ext4").pre;
    REQUIRE(pre.size() == 50001);
    CHECK((pre[0] == "m0" && pre[49999] == "m49999" && pre[50000] == "extra"));
    CHECK(index.softdeps.at("ext4").post == std::vector<std::string>{"crc16", "mbcache"});
}

TEST_CASE("names are looked up as modprobe does", "[initrd]") {
    auto index = sample_index();
    auto crc = lookup_module(index, "crc32c");
    CHECK(crc.kind == LookupKind::alias);
    CHECK(crc.modules == std::vector<std::string>{"crc32c_intel", "crc32c_generic"});
    CHECK(lookup_module(index, "crypto-crc32c").modules == crc.modules);
    CHECK(lookup_module(index, "crc32c-intel").modules == std::vector<std::string>{"crc32c_intel"});
    CHECK(lookup_module(index, "crc32c-intel").kind == LookupKind::module);
    CHECK(lookup_module(index, "virtio-blk").modules == std::vector<std::string>{"virtio_blk"});
    CHECK(lookup_module(index, "fs-ext4").modules == std::vector<std::string>{"ext4"});
    CHECK(lookup_module(index, "virtio:d00000008v00001AF4").modules ==
          std::vector<std::string>{"virtio_scsi"});
    CHECK(lookup_module(index, "virtio_pci").kind == LookupKind::builtin);
    CHECK(lookup_module(index, "no_such_mod").kind == LookupKind::missing);
}

TEST_CASE("dependencies and pre softdeps load first", "[initrd]") {
    auto order = module_load_order(sample_index(), {"ext4"}, {});
    CHECK(order == std::vector<std::string>{"jbd2", "mbcache", "crc16", "crc32c_intel",
                                            "crc32c_generic", "ext4"});
}

TEST_CASE("the layout's modules resolve in order, once each", "[initrd]") {
    auto order = module_load_order(sample_index(), {"ext4", "erofs"},
                                   {"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "nvme"});
    CHECK(order == std::vector<std::string>{"jbd2", "mbcache", "crc16", "crc32c_intel",
                                            "crc32c_generic", "ext4", "libcrc32c", "erofs",
                                            "virtio_ring", "virtio", "virtio_blk", "scsi_common",
                                            "scsi_mod", "virtio_scsi", "sd_mod"});
    auto index = sample_index();
    for (const auto& name : order)
        for (const auto& dep : index.modules.at(name).dependencies)
            CHECK(position(order, dep) < position(order, name));
}

TEST_CASE("dashes and underscores are the same in wanted names", "[initrd]") {
    CHECK(module_load_order(sample_index(), {"virtio-blk"}, {"virtio_blk"}) ==
          std::vector<std::string>{"virtio_ring", "virtio", "virtio_blk"});
    CHECK(module_load_order(sample_index(), {"crc32c-intel", "crc32c_intel"}, {}) ==
          std::vector<std::string>{"crc32c_intel"});
}

TEST_CASE("post softdeps load after their module, and softdep cycles end", "[initrd]") {
    auto index = parse_module_index("a.ko: c.ko\nb.ko:\nc.ko:\n",
                                    "softdep a post: b\nsoftdep b pre: a\n", "", "");
    CHECK(module_load_order(index, {"a"}, {}) == std::vector<std::string>{"c", "a", "b"});
    CHECK(module_load_order(index, {"b"}, {}) == std::vector<std::string>{"c", "a", "b"});
}

TEST_CASE("built-in and absent optional modules are skipped", "[initrd]") {
    CHECK(module_load_order(sample_index(), {"virtio_pci"}, {"nvme", "no_such_driver"})
              .empty());
}

TEST_CASE("aliases of built-in modules count as built in", "[initrd]") {
    using namespace std::string_literals;
    auto modinfo = "crc32c_generic.alias=crypto-crc32c\0crc32c_generic.alias=crc32c\0"
                   "crc32c_generic.license=GPL\0ext4.alias=fs-ext4\0"s;
    auto index = parse_module_index("kernel/lib/libcrc32c.ko:\n", "softdep libcrc32c pre: crc32c\n",
                                    "kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\n", "",
                                    modinfo);
    CHECK(lookup_module(index, "fs-ext4").kind == LookupKind::builtin);
    CHECK(lookup_module(index, "crc32c").kind == LookupKind::builtin);
    CHECK(module_load_order(index, {"crc32c", "fs-ext4", "libcrc32c"}, {}) ==
          std::vector<std::string>{"libcrc32c"});
}

TEST_CASE("a missing required module is an input error naming the kernel", "[initrd]") {
    auto index = sample_index();
    index.kernel_version = "6.1.0-28-cloud-amd64";
    index.directory = "/work/usr/lib/modules/6.1.0-28-cloud-amd64";
    try {
        module_load_order(index, {"ext4", "erofz"}, {});
        FAIL("no error");
    } catch (const Error& e) {
        std::string what = e.what();
        CHECK(e.code() == ExitCode::bad_input);
        CHECK_THAT(what, Catch::Contains("kernel module 'erofz'"));
        CHECK_THAT(what, Catch::Contains("kernel 6.1.0-28-cloud-amd64"));
        CHECK_THAT(what,
                   Catch::Contains("/work/usr/lib/modules/6.1.0-28-cloud-amd64: modules.dep"));
        CHECK_THAT(what, Catch::Contains("did you mean 'erofs'"));
    }
}

TEST_CASE("disk drivers and their dependencies get the modalias patterns of their devices", "[initrd]") {
    auto index = sample_index();
    std::vector<std::string> wanted = {"vfat"}, optional = {"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod"};
    auto order = module_load_order(index, wanted, optional);
    REQUIRE(order == std::vector<std::string>{"fat", "vfat", "virtio_ring", "virtio", "virtio_blk",
                                              "scsi_common", "scsi_mod", "virtio_scsi", "sd_mod"});
    auto patterns = device_patterns(index, wanted, optional, order);
    REQUIRE(patterns.size() == order.size());
    using P = std::vector<std::string>;
    CHECK(patterns[0].empty()); // required: always
    CHECK(patterns[1].empty());
    CHECK(patterns[2] == P{"virtio:d00000002v*", "virtio:d00000008v*"}); // virtio_ring, for both drivers
    CHECK(patterns[4] == P{"virtio:d00000002v*"});
    CHECK(patterns[5] == P{"virtio:d00000008v*", "scsi:t_0x00*", "scsi:t_0x0e*"}); // scsi_common
    CHECK(patterns[7] == P{"virtio:d00000008v*"});
    CHECK(patterns[8] == P{"scsi:t_0x00*", "scsi:t_0x0e*"}); // normalized as libkmod does

    // A module both required and a dependency of a driver is always loaded.
    auto with_scsi = module_load_order(index, {"scsi_mod"}, {"virtio_scsi"});
    auto always = device_patterns(index, {"scsi_mod"}, {"virtio_scsi"}, with_scsi);
    CHECK(with_scsi == std::vector<std::string>{"scsi_common", "scsi_mod", "virtio_ring", "virtio", "virtio_scsi"});
    CHECK((always[0].empty() && always[1].empty() && always[4] == P{"virtio:d00000008v*"}));
    // A driver without device aliases (only crypto-crc32c...) cannot be matched to a device: always loaded, as before.
    auto crc = device_patterns(index, {}, {"crc32c_generic"}, {"crc32c_generic"});
    CHECK(crc == std::vector<P>{P{}});
}

TEST_CASE("resolve_initrd_modules reads a kernel's module directory", "[initrd]") {
    TempDir tmp;
    auto dir = tmp.path / "usr/lib/modules/6.1.0-test";
    write(dir / "modules.dep", dep_text);
    write(dir / "modules.alias", alias_text);
    write(dir / "modules.builtin", builtin_text);
    for (const char* path :
         {"kernel/fs/fat/vfat.ko.xz", "kernel/fs/fat/fat.ko.xz",
          "kernel/drivers/block/virtio_blk.ko", "kernel/drivers/virtio/virtio.ko",
          "kernel/drivers/virtio/virtio_ring.ko"})
        write(dir / path, "\x7f"
                          "ELF");
    plan::Plan plan;
    plan.initrd.modules = {"vfat"};
    plan.initrd.optional_modules = {"virtio_pci", "virtio_blk", "no_such_driver"};
    stage::TreeRoot tree(tmp.path);
    const std::string in_image = "/usr/lib/modules/6.1.0-test";
    auto modules = resolve_initrd_modules(plan, tree, in_image);
    CHECK(modules.names ==
          std::vector<std::string>{"fat", "vfat", "virtio_ring", "virtio", "virtio_blk"});
    REQUIRE(modules.paths_in_initrd.size() == 5);
    CHECK(modules.paths_in_initrd[0] == "/lib/modules/6.1.0-test/kernel/fs/fat/fat.ko");
    CHECK(modules.paths_in_initrd[4] ==
          "/lib/modules/6.1.0-test/kernel/drivers/block/virtio_blk.ko");
    CHECK(modules.sources[0] == fs::canonical(dir / "kernel/fs/fat/fat.ko.xz"));
    REQUIRE(modules.patterns.size() == 5);
    CHECK((modules.patterns[0].empty() && modules.patterns[1].empty()));
    CHECK(modules.patterns[4] == std::vector<std::string>{"virtio:d00000002v*"});

    plan.initrd.modules = {"ext4"}; // listed in modules.dep, but its file is missing
    CHECK_THROWS_WITH(resolve_initrd_modules(plan, tree, in_image),
                      Catch::Contains("kernel/fs/jbd2/jbd2.ko', which is not a file in the image"));
    fs::remove(dir / "modules.dep");
    CHECK_THROWS_WITH(resolve_initrd_modules(plan, tree, in_image),
                      Catch::Contains("kernel 6.1.0-test has no '/usr/lib/modules/6.1.0-test/modules.dep' "
                                      "in the rootfs"));
}

TEST_CASE("modules.dep entries and module links are resolved inside the image", "[initrd]") {
    TempDir tmp;
    auto dir = tmp.path / "tree/usr/lib/modules/6.1.0-test";
    write(tmp.path / "host/vfat.ko", "\x7f" "ELF on the host");
    write(tmp.path / "tree/vfat.ko", "\x7f" "ELF in the image");
    stage::TreeRoot tree(tmp.path / "tree");
    plan::Plan plan;
    plan.initrd.modules = {"vfat"};
    auto resolve_with = [&](const std::string& dep) {
        write(dir / "modules.dep", dep);
        return resolve_initrd_modules(plan, tree, "usr/lib/modules/6.1.0-test");
    };
    auto input_error = [&](const std::string& dep) -> std::string {
        try {
            resolve_with(dep);
        } catch (const Error& e) {
            CHECK(e.code() == ExitCode::bad_input);
            return e.what();
        }
        FAIL("no error for: " << dep);
        return {};
    };
    std::string up = "kernel/../../../../../../../../../../.." + (tmp.path / "host/vfat.ko").string() + ":\n";
    CHECK_THAT(input_error(up), Catch::Contains("climbs out of the kernel's module directory with '..'"));
    CHECK_THAT(input_error((tmp.path / "host/vfat.ko").string() + ":\n"), Catch::Contains("an absolute path"));
    // A module that is a link: absolute and relative links resolve inside the tree.
    fs::create_directories(dir / "kernel");
    fs::create_symlink((tmp.path / "host/vfat.ko").string(), dir / "kernel/vfat.ko");
    CHECK_THAT(input_error("kernel/vfat.ko:\n"), Catch::Contains("leads nowhere inside the rootfs"));
    fs::remove(dir / "kernel/vfat.ko");
    fs::create_symlink("../../../../../../../../../vfat.ko", dir / "kernel/vfat.ko");
    auto modules = resolve_with("kernel/vfat.ko:\n");
    REQUIRE(modules.sources.size() == 1);
    CHECK(modules.sources[0] == fs::canonical(tmp.path / "tree/vfat.ko"));
}

// Not run by default: needs a real kernel tree, such as the one
// tests/e2e/fetch-kernel.sh prints (after `depmod -b <tree> <version>`):
//   LETHE_KERNEL_TREE=<tree> lethe_unit_tests "[realkernel]"
TEST_CASE("the Debian cloud kernel's modules for ext4, erofs and virtio", "[.][realkernel]") {
    const char* tree = std::getenv("LETHE_KERNEL_TREE");
    if (!tree) FAIL("set LETHE_KERNEL_TREE to a kernel package's extracted tree");
    auto modules_root = fs::path(tree) / "lib/modules";
    REQUIRE(fs::is_directory(modules_root));
    auto dir = fs::directory_iterator(modules_root)->path();
    plan::Plan plan;
    plan.initrd.modules = {"ext4", "erofs"};
    plan.initrd.optional_modules = {"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "nvme"};
    stage::TreeRoot kernel_tree(tree);
    auto modules =
        resolve_initrd_modules(plan, kernel_tree, "lib/modules/" + dir.filename().string());
    std::string names;
    for (const auto& name : modules.names)
        names += name + " ";
    std::cout << "kernel " << dir.filename().string() << ": " << names << "\n";
    CHECK(!modules.names.empty());
    TempDir tmp;
    fs::path init = tmp.path / "init";
    if (const char* built = std::getenv("LETHE_INIT"))
        init = built;
    else
        write(init, "#!fake lethe-init\n"); // the sizes printed then exclude lethe-init
    for (const char* compression : {"zstd", "xz", "gzip", "none"}) {
        auto summary =
            write_initrd(tmp.path / "initrd", init, "timeout 30\n", modules, compression, 0);
        std::cout << compression << ": " << summary.entries << " entries, "
                  << summary.compressed_bytes << " bytes (" << summary.uncompressed_bytes
                  << " uncompressed)\n";
    }
}
