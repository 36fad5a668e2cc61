#include "outputs/disk_formats.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

using namespace lethe;
namespace fs = std::filesystem;

TEST_CASE("each output format is made from the raw disk in one streamed command", "[outputs]") {
    CHECK(exec::to_string(outputs::convert_command("qcow2", "d.raw", "d.qcow2")) ==
          "qemu-img convert -f raw -O qcow2 d.raw d.qcow2");
    CHECK(exec::to_string(outputs::convert_command("raw.zst", "d.raw", "d.raw.zst")) ==
          "zstd -q -f -T2 -10 d.raw -o d.raw.zst");
    auto xz = outputs::convert_command("raw.xz", "d.raw", "d.raw.xz");
    CHECK(exec::to_string(xz) == "xz -q -k -c -T2 -6 d.raw");
    CHECK(xz.stdout_path == "d.raw.xz");
    CHECK(outputs::convert_tool("raw.xz") == std::pair<std::string, std::string>{"xz", "xz-utils"});
    CHECK_THROWS(outputs::convert_command("vmdk", "d.raw", "d.vmdk"));
}

TEST_CASE("compressed disks decompress to the raw disk, the same bytes every time", "[outputs]") {
    for (const char* tool : {"zstd", "xz"})
        if (!exec::tool_exists(tool)) {
            WARN(tool << " is not installed: skipped");
            return;
        }
    test::TempDir tmp;
    fs::path raw = tmp.path / "d.raw";
    {
        Fd fd(open(raw.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        REQUIRE(ftruncate(fd.get(), 32 << 20) == 0);
        std::string data(1 << 20, 'x');
        REQUIRE(pwrite(fd.get(), data.data(), data.size(), 5 << 20) == static_cast<ssize_t>(data.size()));
    }
    exec::SystemRunner runner;
    for (const std::string format : {"raw.zst", "raw.xz"}) {
        fs::path first = tmp.path / ("1." + format), second = tmp.path / ("2." + format);
        runner.run(outputs::convert_command(format, raw, first));
        runner.run(outputs::convert_command(format, raw, second));
        CHECK(sha256_file(first) == sha256_file(second));
        CHECK(fs::file_size(first) < (1 << 20));
        exec::Command back{{format == "raw.zst" ? "zstd" : "xz", "-d", "-c", first.string()}};
        back.stdout_path = (tmp.path / "back.raw").string();
        runner.run(back);
        CHECK(sha256_file(tmp.path / "back.raw") == sha256_file(raw));
    }
}
