// lethe-init's udev-like loading of disk drivers (initrd/device_modules) and
// its start/wait pair for programs run beside other work (e2fsck).

#include "initrd/device_modules.hpp"
#include "initrd/programs.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <map>

using namespace lethe;
using test::TempDir;
using test::write;

namespace {

const std::string virtio_pci_pattern = "pci:v00001AF4d*sv*sd*bc*sc*i*";
const std::string virtio_blk_pattern = "virtio:d00000002v*";
const std::string virtio_scsi_pattern = "virtio:d00000008v*";
const std::string disk_pattern = "scsi:t_0x00*";

// In the shape the builder writes them for Debian's cloud kernel: each module
// carries its own patterns and those of the drivers that need it.
std::vector<init::DeviceModule> debian_disk_drivers() {
    return {
        {"/virtio_ring.ko", {virtio_pci_pattern, virtio_blk_pattern, virtio_scsi_pattern}},
        {"/virtio_pci.ko", {virtio_pci_pattern}},
        {"/virtio_blk.ko", {virtio_blk_pattern}},
        {"/scsi_common.ko", {virtio_scsi_pattern, disk_pattern}},
        {"/scsi_mod.ko", {virtio_scsi_pattern, disk_pattern}},
        {"/virtio_scsi.ko", {virtio_scsi_pattern}},
        {"/sd_mod.ko", {disk_pattern}},
    };
}

// A pretend kernel: loading a module adds the devices it finds.
struct Machine {
    std::vector<std::string> modaliases;
    std::map<std::string, std::vector<std::string>> adds; // module path -> new modaliases
    std::vector<std::string> loaded;
    int scans = 0;

    std::vector<std::string> scan() {
        ++scans;
        return modaliases;
    }
    void load(const init::DeviceModule& module) {
        loaded.push_back(module.path);
        for (const auto& added : adds[module.path]) modaliases.push_back(added);
    }
    size_t run(std::vector<init::DeviceModule>& pending) {
        return init::load_device_modules(
            pending, [this] { return scan(); }, [this](const init::DeviceModule& m) { load(m); });
    }
};

} // namespace

TEST_CASE("modaliases are normalized as libkmod normalizes aliases", "[init]") {
    CHECK(init::normalize_modalias("scsi:t-0x00") == "scsi:t_0x00");
    CHECK(init::normalize_modalias("of:N[a-z]-x") == "of:N[a-z]_x");
    CHECK(init::matches_any({"scsi:t_0x00*"}, {"pci:v1", init::normalize_modalias("scsi:t-0x00")}));
    CHECK(!init::matches_any({"scsi:t_0x00*"}, {"scsi:t_0x05"}));
    CHECK(!init::matches_any({}, {"scsi:t_0x00"}));
}

TEST_CASE("device modaliases are read from every bus under /sys", "[init]") {
    TempDir sys;
    write(sys.path / "bus/pci/devices/0000:00:03.0/modalias",
          "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n");
    write(sys.path / "bus/scsi/devices/0:0:0:0/modalias", "scsi:t-0x00\n");
    write(sys.path / "bus/scsi/devices/host0/uevent", "DEVTYPE=scsi_host\n"); // no modalias: skipped
    std::filesystem::create_directories(sys.path / "bus/virtio/devices");
    CHECK(init::device_modaliases(sys.path.string()) ==
          std::vector<std::string>{"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "scsi:t_0x00"});
    CHECK(init::device_modaliases((sys.path / "missing").string()).empty());
}

TEST_CASE("a virtio-blk machine loads only the virtio-blk drivers", "[init]") {
    Machine machine;
    machine.modaliases = {"pci:v00008086d000029C0sv*", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00"};
    machine.adds["/virtio_pci.ko"] = {"virtio:d00000002v00001AF4"};
    auto pending = debian_disk_drivers();
    CHECK(machine.run(pending) == 3);
    CHECK(machine.loaded == std::vector<std::string>{"/virtio_ring.ko", "/virtio_pci.ko", "/virtio_blk.ko"});
    CHECK(machine.scans == 3); // the first, the one after virtio_pci, the one that finds nothing new
    CHECK(pending.size() == 4);
    CHECK(machine.run(pending) == 0); // again while waiting: nothing new
    CHECK(machine.loaded.size() == 3);
}

TEST_CASE("a virtio-scsi machine loads the SCSI stack in order, the disk driver when the disk appears", "[init]") {
    Machine machine;
    machine.modaliases = {"pci:v00001AF4d00001004sv00001AF4sd00000008bc01sc00i00"};
    machine.adds["/virtio_pci.ko"] = {"virtio:d00000008v00001AF4"};
    auto pending = debian_disk_drivers();
    CHECK(machine.run(pending) == 5);
    CHECK(machine.loaded == std::vector<std::string>{"/virtio_ring.ko", "/virtio_pci.ko", "/scsi_common.ko",
                                                     "/scsi_mod.ko", "/virtio_scsi.ko"});
    // The SCSI scan finds the disk asynchronously, after virtio_scsi was loaded.
    machine.modaliases.push_back("scsi:t_0x00");
    CHECK(machine.run(pending) == 1);
    CHECK(machine.loaded.back() == "/sd_mod.ko");
    CHECK(pending == std::vector<init::DeviceModule>{debian_disk_drivers()[2]});
}

TEST_CASE("a machine without matching devices loads nothing", "[init]") {
    Machine machine;
    machine.modaliases = {"pci:v00008086d00002922sv*"};
    auto pending = debian_disk_drivers();
    CHECK(machine.run(pending) == 0);
    CHECK(machine.scans == 1);
    CHECK(pending.size() == 7);
}

TEST_CASE("a started program runs while the caller works, and is waited for", "[init]") {
    auto begin = std::chrono::steady_clock::now();
    init::RunningProgram program = init::start_program({"/bin/sh", "-c", "sleep 0.3; exit 5"});
    CHECK(program.pid > 0);
    CHECK(program.name == "'/bin/sh'");
    CHECK(std::chrono::steady_clock::now() - begin < std::chrono::milliseconds(250)); // did not wait
    CHECK(init::wait_program(program) == 5);
    CHECK(std::chrono::steady_clock::now() - begin >= std::chrono::milliseconds(300));
    // An exec failure is reported when the program is waited for.
    init::RunningProgram missing = init::start_program({"/nonexistent/e2fsck", "-p"});
    CHECK_THROWS_WITH(init::wait_program(missing), "cannot run '/nonexistent/e2fsck': No such file or directory");
}
