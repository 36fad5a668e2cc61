#include "spec/value_limits.hpp"

#include "catalog/partition_types.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <regex>

namespace lethe::spec {
namespace {

// uid_t and gid_t are 32 bits on Linux; (uid_t)-1 is what chown(2) takes as
// "leave it unchanged", so it names nobody.
constexpr uint64_t max_account_id = std::numeric_limits<uint32_t>::max() - 1;

constexpr size_t max_cmdline = max_kernel_cmdline;

// Image names end up in NAME.manifest.json and the temporary names beside
// it, which must fit NAME_MAX (255 bytes).
constexpr size_t max_image_name = 200;

bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7f;
}

} // namespace

std::string read_account(const Document& doc, const YAML::Node& node, const char* what) {
    std::string text = read_string(doc, node, "a user or group name, or a number");
    if (!text.empty() &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        uint64_t value = 0;
        for (char c : text)
            value =
                std::min<uint64_t>(value * 10 + static_cast<uint64_t>(c - '0'), max_account_id + 1);
        if (value > max_account_id)
            doc.fail_at(
                node, fmt::format(
                          "{} {} is out of range: a numeric {} is 0 to {} ({}_t is 32 bits, and {} "
                          "is ({}_t)-1, which names nobody)",
                          what, text, what, max_account_id, what[0] == 'u' ? "uid" : "gid",
                          max_account_id + 1, what[0] == 'u' ? "uid" : "gid"));
        return text;
    }
    // What /etc/passwd and /etc/group cannot hold is no name of theirs.
    bool bad = text.empty() || text.size() > 255 || text[0] == '-' ||
               std::any_of(text.begin(), text.end(), [](unsigned char c) {
                   return is_control(c) || c == ' ' || c == ':' || c == ',' || c == '/';
               });
    if (bad)
        doc.fail_at(
            node,
            fmt::format("not a {} name: a name is 1 to 255 characters without blanks, control "
                        "characters, ':', ',' or '/', and does not start with '-'",
                        what));
    return text;
}

std::string read_kernel_cmdline(const Document& doc, const YAML::Node& node) {
    std::string text = read_string(doc, node, "a kernel command line");
    for (size_t i = 0; i < text.size(); ++i)
        if (is_control(static_cast<unsigned char>(text[i])))
            doc.fail_at(
                node, fmt::format(
                          "kernel.cmdline holds a control character (byte 0x{:02x} at offset {}): "
                          "the command line is one line, its parameters separated by spaces",
                          static_cast<unsigned char>(text[i]), i));
    // A parameter lethe-init reads: the root hash of the image's own /usr.
    for (size_t at = text.find("usrhash="); at != std::string::npos; at = text.find("usrhash=", at + 1))
        if (at == 0 || text[at - 1] == ' ' || text[at - 1] == '"')
            doc.fail_at(node, "kernel.cmdline has usrhash=, which lethe writes itself for a usr partition with "
                              "'verity: true' (the root hash of its hash tree)");
    if (text.size() > max_cmdline)
        doc.fail_at(
            node, fmt::format(
                      "kernel.cmdline is {} bytes; the kernel takes at most {} (COMMAND_LINE_SIZE "
                      "is {} on x86-64, with the NUL), and the boot loaders add up to {} of "
                      "their own: at most {}",
                      text.size(), command_line_size - 1, command_line_size, boot_loader_reserve,
                      max_cmdline));
    return text;
}

std::string read_kernel_version(const Document& doc, const YAML::Node& node) {
    std::string text = read_string(doc, node, "a kernel version");
    static const std::regex version("[A-Za-z0-9][A-Za-z0-9._+~-]{0,199}");
    if (!std::regex_match(text, version))
        doc.fail_at(
            node,
            "a kernel version is what `uname -r` prints: letters, digits, '.', '_', '+', '~' and "
            "'-', at most 200");
    return text;
}

void check_image_name_length(const Document& doc, const YAML::Node& node, const std::string& name) {
    if (name.size() > max_image_name)
        doc.fail_at(
            node,
            fmt::format("the image name is {} characters; at most {}, so that NAME.manifest.json "
                        "and the temporary files beside it fit in a file name (NAME_MAX, 255)",
                        name.size(), max_image_name));
}

void check_persistent_mount(const Document& doc, const YAML::Node& node, const std::string& mount) {
    // The API file systems, /usr and /etc (restored from the factory copy at
    // every boot), /tmp, and the merged-usr links lethe-init makes.
    static const std::vector<std::string> taken = {"/usr",   "/etc",   "/proc",  "/sys",  "/dev",
                                                   "/run",   "/tmp",   "/bin",   "/sbin", "/lib",
                                                   "/lib32", "/lib64", "/libx32"};
    if (mount == "/")
        doc.fail_at(
            node, "the persistent partition cannot be mounted at /: the root is a tmpfs by design");
    for (const auto& dir : taken)
        if (is_within(mount, dir))
            doc.fail_at(
                node, fmt::format("the persistent partition cannot be mounted at {}: {} belongs to "
                                  "lethe-init or the kernel at boot",
                                  mount, dir));
}

void check_partition_type(const Document& doc, const YAML::Node& node, const std::string& type) {
    if (catalog::normalize_guid(type) == catalog::unused_type_guid)
        doc.fail_at(node, "the all-zero type GUID marks an unused GPT entry: give the partition a "
                          "real type");
}

void check_partition_count(const Document& doc, const YAML::Node& list) {
    if (list.size() > catalog::max_partitions)
        doc.fail_at(
            list[catalog::max_partitions],
            fmt::format(
                "the layout lists {} partitions; a GPT holds at most {} (its partition entry array "
                "has {} entries)",
                list.size(), catalog::max_partitions, catalog::max_partitions));
}

} // namespace lethe::spec
