#include "initramfs/cpio_writer.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdlib.h>
#include <sys/stat.h>

using namespace lethe;
using namespace lethe::initramfs;
namespace fs = std::filesystem;

namespace {

using test::TempDir;
using test::write;

// A compressed file as depmod's kernels ship them, made with libarchive's raw writer.
void write_compressed(const fs::path& path, const std::string& data, const std::string& filter) {
    fs::create_directories(path.parent_path());
    std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                              archive_write_free);
    REQUIRE(archive_write_set_format_raw(a.get()) == ARCHIVE_OK);
    REQUIRE(archive_write_add_filter_by_name(a.get(), filter.c_str()) == ARCHIVE_OK);
    REQUIRE(archive_write_open_filename(a.get(), path.c_str()) == ARCHIVE_OK);
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(),
                                                                    archive_entry_free);
    archive_entry_set_pathname(e.get(), "module");
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    REQUIRE(archive_write_header(a.get(), e.get()) == ARCHIVE_OK);
    REQUIRE(archive_write_data(a.get(), data.data(), data.size()) ==
            static_cast<la_ssize_t>(data.size()));
    REQUIRE(archive_write_close(a.get()) == ARCHIVE_OK);
}

struct Member {
    std::string name;
    unsigned type = 0, perm = 0;
    int64_t mtime = 0, uid = -1, gid = -1, ino = 0;
    unsigned major = 0, minor = 0;
    std::string content;
};

std::vector<Member> read_initrd(const fs::path& path) {
    std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_cpio(a.get());
    REQUIRE(archive_read_open_filename(a.get(), path.c_str(), 1 << 16) == ARCHIVE_OK);
    std::vector<Member> members;
    archive_entry* e = nullptr;
    while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
        Member m{archive_entry_pathname(e),
                 archive_entry_filetype(e),
                 archive_entry_perm(e),
                 archive_entry_mtime(e),
                 archive_entry_uid(e),
                 archive_entry_gid(e),
                 archive_entry_ino64(e),
                 static_cast<unsigned>(archive_entry_rdevmajor(e)),
                 static_cast<unsigned>(archive_entry_rdevminor(e)),
                 {}};
        char buffer[4096];
        la_ssize_t n;
        while ((n = archive_read_data(a.get(), buffer, sizeof buffer)) > 0)
            m.content.append(buffer, static_cast<size_t>(n));
        REQUIRE(n == 0);
        members.push_back(m);
    }
    CHECK(archive_format(a.get()) == ARCHIVE_FORMAT_CPIO_SVR4_NOCRC); // newc
    return members;
}

const Member& member(const std::vector<Member>& members, const std::string& name) {
    auto it = std::find_if(members.begin(), members.end(),
                           [&](const Member& m) { return m.name == name; });
    REQUIRE(it != members.end());
    return *it;
}

const std::string elf = "\x7f"
                        "ELF\2\1\1";

// An init program, a plain module and an xz-compressed one, as a kernel tree has them.
struct Fixture {
    TempDir tmp;
    fs::path init = tmp.path / "src/lethe-init";
    InitrdModules modules;
    std::string ext4 = elf + std::string(5000, 'e');
    std::string vfat = elf + "vfat module " + std::string(3000, 'v');

    Fixture() {
        write(init, "#!fake lethe-init\n");
        chmod(init.c_str(), 0700);
        auto kernel = tmp.path / "src/lib/modules/6.1.0-test";
        write(kernel / "kernel/fs/ext4/ext4.ko", ext4);
        write_compressed(kernel / "kernel/fs/fat/vfat.ko.xz", vfat, "xz");
        modules.names = {"vfat", "ext4"};
        modules.paths_in_initrd = {"/lib/modules/6.1.0-test/kernel/fs/fat/vfat.ko",
                                   "/lib/modules/6.1.0-test/kernel/fs/ext4/ext4.ko"};
        modules.sources = {kernel / "kernel/fs/fat/vfat.ko.xz", kernel / "kernel/fs/ext4/ext4.ko"};
    }

    InitrdSummary write_to(const fs::path& out, const std::string& compression = "zstd",
                           int64_t epoch = 1700000000) {
        return write_initrd(out, init, "timeout 30\nusr PARTUUID=x erofs\n", modules, compression,
                            epoch);
    }
};

std::string head(const fs::path& path, size_t n) {
    return read_file(path).substr(0, n);
}

} // namespace

TEST_CASE("the initrd holds init, its config, the modules and the directories, sorted",
          "[initrd]") {
    Fixture f;
    auto out = f.tmp.path / "web.initrd";
    auto summary = f.write_to(out);
    auto members = read_initrd(out);
    std::vector<std::string> names;
    for (const auto& m : members)
        names.push_back(m.name);
    const std::string k = "lib/modules/6.1.0-test";
    CHECK(names == std::vector<std::string>{"dev", "dev/console", "init", "lethe",
                                            "lethe/init.conf", "lib", "lib/modules", k,
                                            k + "/kernel", k + "/kernel/fs", k + "/kernel/fs/ext4",
                                            k + "/kernel/fs/ext4/ext4.ko", k + "/kernel/fs/fat",
                                            k + "/kernel/fs/fat/vfat.ko", "proc", "run", "sys"});
    CHECK(std::is_sorted(names.begin(), names.end()));
    for (size_t i = 0; i < members.size(); ++i) {
        CHECK(members[i].mtime == 1700000000);
        CHECK(members[i].uid == 0);
        CHECK(members[i].gid == 0);
        CHECK(members[i].ino == static_cast<int64_t>(i + 1));
        if (members[i].type == AE_IFDIR) CHECK(members[i].perm == 0755);
    }
    CHECK(member(members, "init").type == AE_IFREG);
    CHECK(member(members, "init").perm == 0755);
    CHECK(member(members, "init").content == "#!fake lethe-init\n");
    CHECK(member(members, "lethe/init.conf").perm == 0644);
    CHECK(member(members, "lethe/init.conf").content == "timeout 30\nusr PARTUUID=x erofs\n");
    CHECK(member(members, "proc").type == AE_IFDIR);
    const auto& console = member(members, "dev/console");
    CHECK(console.type == AE_IFCHR);
    CHECK(console.major == 5);
    CHECK(console.minor == 1);
    CHECK(member(members, k + "/kernel/fs/ext4/ext4.ko").content == f.ext4);
    CHECK(member(members, k + "/kernel/fs/fat/vfat.ko").content == f.vfat); // decompressed
    CHECK(member(members, k + "/kernel/fs/fat/vfat.ko").perm == 0644);

    CHECK(summary.entries == members.size());
    CHECK(summary.compressed_bytes == fs::file_size(out));
    CHECK(head(out, 4) == "\x28\xb5\x2f\xfd"); // zstd frame
    auto none = f.tmp.path / "plain.initrd";
    auto plain = f.write_to(none, "none");
    CHECK(summary.uncompressed_bytes == fs::file_size(none)); // the cpio, unpadded
    CHECK(plain.uncompressed_bytes == fs::file_size(none));
    CHECK(plain.compressed_bytes == fs::file_size(none));
    CHECK(head(none, 6) == "070701");
    CHECK(summary.compressed_bytes < summary.uncompressed_bytes);
    CHECK((fs::status(out).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
           fs::perms::others_read));
}

TEST_CASE("every compression reads back, in a form the kernel decodes", "[initrd]") {
    Fixture f;
    for (const std::string compression : {"zstd", "xz", "gzip", "none"}) {
        INFO(compression);
        auto out = f.tmp.path / ("initrd." + compression);
        auto summary = f.write_to(out, compression);
        auto members = read_initrd(out);
        CHECK(members.size() == 17);
        CHECK(member(members, "lib/modules/6.1.0-test/kernel/fs/fat/vfat.ko").content == f.vfat);
        CHECK(summary.compressed_bytes == fs::file_size(out));
    }
    auto xz = head(f.tmp.path / "initrd.xz", 8);
    CHECK(xz.substr(0, 6) == std::string("\xfd"
                                         "7zXZ\0",
                                         6));
    CHECK(xz[7] == '\x01'); // check type CRC32: the kernel's XZ decoder knows no CRC64
    auto gz = head(f.tmp.path / "initrd.gzip", 8);
    CHECK(gz.substr(0, 2) == "\x1f\x8b");
    CHECK(gz.substr(4, 4) == std::string(4, '\0')); // no timestamp
}

TEST_CASE("the initrd is reproducible", "[initrd]") {
    Fixture f;
    for (const std::string compression : {"zstd", "xz", "gzip"}) {
        f.write_to(f.tmp.path / "a", compression);
        f.write_to(f.tmp.path / "b", compression);
        CHECK(sha256_file(f.tmp.path / "a") == sha256_file(f.tmp.path / "b"));
        f.write_to(f.tmp.path / "c", compression, 1700000001);
        CHECK(sha256_file(f.tmp.path / "a") != sha256_file(f.tmp.path / "c"));
    }
}

TEST_CASE("compressed kernel modules are decompressed", "[initrd]") {
    TempDir tmp;
    std::string module = elf + std::string(1000, 'm');
    write_compressed(tmp.path / "a.ko.zst", module, "zstd");
    write_compressed(tmp.path / "b.ko.gz", module, "gzip");
    write_compressed(tmp.path / "c.ko.xz", module, "xz");
    write(tmp.path / "d.ko", module);
    for (const char* name : {"a.ko.zst", "b.ko.gz", "c.ko.xz", "d.ko"})
        CHECK(read_kernel_module(tmp.path / name) == module);
    write(tmp.path / "bad.ko.xz", "not xz at all");
    CHECK_THROWS_WITH(read_kernel_module(tmp.path / "bad.ko.xz"),
                      Catch::Contains("bad.ko.xz' is not a kernel module"));
}

TEST_CASE("a failed initrd leaves no file behind", "[initrd]") {
    Fixture f;
    auto out = f.tmp.path / "out/web.initrd";
    fs::create_directories(out.parent_path());
    CHECK_THROWS_WITH(f.write_to(out, "lz4"), Catch::Contains("unknown initrd compression 'lz4'"));
    write(f.modules.sources[1], "garbage");
    CHECK_THROWS_WITH(f.write_to(out), Catch::Contains("ext4.ko' is not a kernel module"));
    CHECK(fs::is_empty(out.parent_path()));
    CHECK_THROWS_WITH(write_initrd(f.tmp.path / "missing/dir/initrd", f.init, "", {}, "zstd", 0),
                      Catch::Contains("cannot create"));
}
