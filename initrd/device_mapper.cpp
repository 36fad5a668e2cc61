#include "initrd/device_mapper.hpp"

#include "initrd/failure.hpp"
#include "initrd/fs_util.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <vector>

namespace lethe::init {
namespace {

constexpr const char* control_path = "/dev/mapper/control";
constexpr const char* mapper_directory = "/dev/mapper";

// devtmpfs makes /dev/mapper/control when dm_mod registers its misc device;
// if it is missing anyway (a /dev that is not devtmpfs), make it from the
// number sysfs gives, as dmsetup mknodes would.
void make_control_node() {
    std::string number = read_text_file("/sys/class/misc/device-mapper/dev");
    unsigned major_number = 0, minor_number = 0;
    if (sscanf(number.c_str(), "%u:%u", &major_number, &minor_number) != 2)
        fail("cannot read the device-mapper control device's number: '" + number + "'");
    make_directories(mapper_directory, 0755);
    if (mknod(control_path, S_IFCHR | 0600, makedev(major_number, minor_number)) != 0 &&
        errno != EEXIST)
        fail_errno("cannot create", control_path);
}

int open_control() {
    int fd = open(control_path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && exists("/sys/class/misc/device-mapper")) {
        make_control_node();
        fd = open(control_path, O_RDWR | O_CLOEXEC);
    }
    if (fd < 0) {
        int saved = errno;
        fail(std::string("cannot open '") + control_path + "': " + std::strerror(saved) +
             (saved == ENOENT ? " (is the dm_mod module loaded?)" : ""));
    }
    return fd;
}

// A dm ioctl's argument: struct dm_ioctl, then the command's data, in one
// 8-byte aligned buffer whose size the header states.
class Request {
  public:
    Request(const std::string& name, size_t payload_bytes) {
        if (name.empty() || name.size() >= DM_NAME_LEN)
            fail("bad device-mapper name '" + name + "'");
        words_.assign((sizeof(dm_ioctl) + payload_bytes + 7) / 8, 0);
        dm_ioctl* io = header();
        // Major 4, minor 0: every kernel since 2.6 accepts it; these commands need nothing newer.
        io->version[0] = DM_VERSION_MAJOR;
        io->data_size = static_cast<uint32_t>(words_.size() * 8);
        io->data_start = sizeof(dm_ioctl);
        std::memcpy(io->name, name.data(), name.size());
    }
    dm_ioctl* header() { return reinterpret_cast<dm_ioctl*>(words_.data()); }
    char* payload() { return reinterpret_cast<char*>(words_.data()) + sizeof(dm_ioctl); }

  private:
    std::vector<uint64_t> words_;
};

// Runs one command: 0, or the errno the kernel refused it with.
int send(unsigned long command, Request& request) {
    Fd control(open_control());
    return ioctl(control.get(), command, request.header()) == 0 ? 0 : errno;
}

[[noreturn]] void fail_request(const std::string& what, const std::string& name, int error) {
    fail("cannot " + what + " device-mapper device '" + name + "': " + std::strerror(error));
}

dev_t create_device(const std::string& name, const std::string& uuid) {
    Request request(name, 0);
    if (uuid.size() >= DM_UUID_LEN) fail("device-mapper UUID too long: '" + uuid + "'");
    std::memcpy(request.header()->uuid, uuid.data(), uuid.size());
    if (int error = send(DM_DEV_CREATE, request)) fail_request("create", name, error);
    // The kernel encodes the number as glibc's makedev does (huge_encode_dev).
    uint64_t number = request.header()->dev;
    return makedev(major(number), minor(number));
}

// One dm_target_spec, then its parameters NUL-terminated, padded to 8 bytes.
void load_table(const std::string& name, const DmTarget& target) {
    size_t params_bytes = (target.params.size() + 1 + 7) / 8 * 8;
    Request request(name, sizeof(dm_target_spec) + params_bytes);
    dm_ioctl* io = request.header();
    io->target_count = 1;
    io->flags = DM_READONLY_FLAG;
    auto* spec = reinterpret_cast<dm_target_spec*>(request.payload());
    spec->sector_start = target.start_sector;
    spec->length = target.sectors;
    spec->next = static_cast<uint32_t>(sizeof(dm_target_spec) + params_bytes);
    if (target.type.size() >= DM_MAX_TYPE_NAME)
        fail("bad device-mapper target type '" + target.type + "'");
    std::memcpy(spec->target_type, target.type.data(), target.type.size());
    std::memcpy(request.payload() + sizeof(dm_target_spec), target.params.data(),
                target.params.size());
    if (int error = send(DM_TABLE_LOAD, request))
        fail("cannot load the table '" + table_line(target) + "' into device-mapper device '" +
             name + "': " + std::strerror(error) + " (the kernel log says why)");
}

// DM_DEV_SUSPEND without DM_SUSPEND_FLAG resumes: the loaded table goes live.
void resume(const std::string& name) {
    Request request(name, 0);
    if (int error = send(DM_DEV_SUSPEND, request)) fail_request("resume", name, error);
}

void make_node(const std::string& path, dev_t device) {
    make_directories(mapper_directory, 0755);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) fail_errno("cannot remove", path);
    if (mknod(path.c_str(), S_IFBLK | 0600, device) != 0) fail_errno("cannot create", path);
}

} // namespace

MappedDevice create_read_only_device(const std::string& name, const std::string& uuid,
                                     const DmTarget& target) {
    MappedDevice mapped{name, std::string(mapper_directory) + "/" + name,
                        create_device(name, uuid)};
    try {
        load_table(name, target);
        resume(name);
        make_node(mapped.path, mapped.device);
    } catch (const Failure&) {
        try { // best effort: the first error is the one to report
            Request request(name, 0);
            send(DM_DEV_REMOVE, request);
        } catch (const Failure&) {
        }
        throw;
    }
    return mapped;
}

void replace_table(const std::string& name, const DmTarget& target) {
    load_table(name, target);
    resume(name);
}

void remove_device(const std::string& name) {
    Request request(name, 0);
    if (int error = send(DM_DEV_REMOVE, request)) fail_request("remove", name, error);
    std::string path = std::string(mapper_directory) + "/" + name;
    if (unlink(path.c_str()) != 0 && errno != ENOENT) fail_errno("cannot remove", path);
}

} // namespace lethe::init
