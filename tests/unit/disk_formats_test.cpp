#include "catalog/disk_formats.hpp"
#include "outputs/disk_formats.hpp"

#include <catch2/catch.hpp>

using namespace lethe;

TEST_CASE("qcow2 is made by qemu-img, the compressed disks need no tool", "[outputs]") {
    CHECK(exec::to_string(outputs::convert_command("qcow2", "d.raw", "d.qcow2")) ==
          "qemu-img convert -f raw -O qcow2 d.raw d.qcow2");
    CHECK(catalog::disk_format_tool("qcow2") == exec::Tool{"qemu-img", "qemu-utils"});
    // raw.zst and raw.xz are written with libzstd and liblzma (compressed_disk_test.cpp).
    CHECK_FALSE(catalog::disk_format_tool("raw.zst"));
    CHECK_FALSE(catalog::disk_format_tool("raw.xz"));
    CHECK(catalog::disk_formats().front() == "raw");
    CHECK_THROWS(outputs::convert_command("raw.zst", "d.raw", "d.raw.zst"));
    CHECK_THROWS(outputs::convert_command("vmdk", "d.raw", "d.vmdk"));
}
