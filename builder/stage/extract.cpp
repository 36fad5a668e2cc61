#include "stage/extract.hpp"

#include "util/error.hpp"
#include "util/interrupt.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace lethe::stage {
namespace {

// What archive_write_disk restores, and the checks it makes on its own
// (defence in depth behind ours). ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS is
// absent because every name is rewritten to an absolute path under the
// destination, after checked_relative() has refused absolute names. There is
// deliberately no archive_write_disk_set_standard_lookup: without it owners
// are the entries' numeric ids. Nor ARCHIVE_EXTRACT_FFLAGS: no image
// filesystem keeps chattr(1) flags, a tmpfs refuses them, and an immutable
// file copied from a directory rootfs could not be removed afterwards.
constexpr int disk_flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                           ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                           ARCHIVE_EXTRACT_SECURE_SYMLINKS;

struct ReadCloser {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteCloser {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct ResolverCloser {
    void operator()(archive_entry_linkresolver* r) const { archive_entry_linkresolver_free(r); }
};
using Reader = std::unique_ptr<archive, ReadCloser>;
using Writer = std::unique_ptr<archive, WriteCloser>;

std::vector<std::string> components(const std::string& name) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= name.size()) {
        size_t end = name.find('/', start);
        if (end == std::string::npos) end = name.size();
        std::string part = name.substr(start, end - start);
        if (!part.empty() && part != ".") parts.push_back(part);
        start = end + 1;
    }
    return parts;
}

// Maps the entries of one source (an archive, a directory) into `dest`,
// refusing any that would land outside it.
class Stager {
public:
    // `to_name`: an entry's path as the source spells it -> its name relative
    // to the source's root, as shown in errors ("./etc/passwd").
    Stager(std::string source_label, const fs::path& dest, std::function<std::string(const char*)> to_name)
        : label_(std::move(source_label)), to_name_(std::move(to_name)), disk_(archive_write_disk_new()) {
        fs::create_directories(dest);
        // A symlink in the destination's own path would trip SECURE_SYMLINKS.
        dest_ = fs::canonical(dest);
        if (!disk_ || archive_write_disk_set_options(disk_.get(), disk_flags) != ARCHIVE_OK)
            fail("cannot set up archive extraction into '{}'", dest_.string());
    }

    void add(archive* source, archive_entry* entry) {
        check_interrupted();
        std::string name = to_name_(archive_entry_pathname(entry));
        std::string relative = checked_relative(name, name);
        refuse_symlinked_parent(relative, name);
        if (const char* link = archive_entry_hardlink(entry)) {
            std::string target = checked_relative(to_name_(link), name);
            refuse_symlinked_parent(target, name);
            archive_entry_copy_hardlink(entry, under_dest(target).c_str());
        }
        archive_entry_copy_pathname(entry, under_dest(relative).c_str());
        count(entry);
        check(archive_write_header(disk_.get(), entry), name);
        if (archive_entry_size(entry) > 0) copy_data(source, name);
        check(archive_write_finish_entry(disk_.get()), name);
    }

    const fs::path& dest() const { return dest_; }

    // Applies what archive_write_disk defers to the end: directories' modes
    // and times, once nothing more is written into them.
    ExtractStats finish() {
        if (archive_write_close(disk_.get()) != ARCHIVE_OK)
            fail("{}: cannot finish extracting into '{}': {}", label_, dest_.string(), disk_error());
        return stats_;
    }

private:
    // "./usr/bin/ls" -> "usr/bin/ls"; "./" -> "" (the destination itself).
    std::string checked_relative(const std::string& path, const std::string& entry_name) const {
        if (!path.empty() && path.front() == '/')
            refuse(entry_name, fmt::format("'{}' is an absolute path", path));
        std::string relative;
        for (const auto& part : components(path)) {
            if (part == "..") refuse(entry_name, fmt::format("'{}' has a '..' component", path));
            relative += (relative.empty() ? "" : "/") + part;
        }
        return relative;
    }

    // Writing "evil/passwd" after "evil -> /etc" would follow the link.
    void refuse_symlinked_parent(const std::string& relative, const std::string& entry_name) const {
        auto parts = components(relative);
        fs::path at = dest_;
        std::string walked;
        for (size_t i = 0; i + 1 < parts.size(); ++i) {
            at /= parts[i];
            walked += (walked.empty() ? "" : "/") + parts[i];
            struct stat st {};
            if (lstat(at.c_str(), &st) != 0) return; // missing: nothing below it exists yet either
            if (S_ISLNK(st.st_mode))
                refuse(entry_name, fmt::format("'{}' is a symlink, and extraction never follows one", walked));
            if (!S_ISDIR(st.st_mode)) return; // a file: archive_write_disk reports the clash
        }
    }

    [[noreturn]] void refuse(const std::string& entry_name, const std::string& why) const {
        fail_input("{}: entry '{}' would be written outside the root filesystem: {}", label_, entry_name, why);
    }

    std::string under_dest(const std::string& relative) const {
        return relative.empty() ? dest_.string() : (dest_ / relative).string();
    }

    void count(archive_entry* entry) {
        auto type = archive_entry_filetype(entry);
        if (archive_entry_hardlink(entry)) ++stats_.hardlinks;
        else if (type == AE_IFDIR) ++stats_.directories;
        else if (type == AE_IFLNK) ++stats_.symlinks;
        else ++stats_.files;
        if (type == AE_IFREG && !archive_entry_hardlink(entry)) stats_.bytes += static_cast<uint64_t>(archive_entry_size(entry));
    }

    // Anything but ARCHIVE_OK fails the build. archive_write_disk reports a
    // failed write(2) (ENOSPC, EFBIG) as ARCHIVE_WARN ("Write failed"), the
    // file left short, and likewise what it could not restore (an xattr such
    // as ping's security.capability, an ACL, an owner): the tree would not be
    // the rootfs, and the image would boot with it.
    void check(int status, const std::string& name) const {
        if (status == ARCHIVE_OK) return;
        fail("{}: cannot extract '{}': {}", label_, name, disk_error());
    }

    // libarchive's message, and the errno behind it ("Write failed: No space left on device: the disk is full").
    std::string disk_error() const {
        const char* text = archive_error_string(disk_.get());
        std::string message = text ? text : "unknown error";
        int err = archive_errno(disk_.get());
        return err > 0 ? message + ": " + errno_text(err) : message;
    }

    void copy_data(archive* source, const std::string& name) {
        const void* buffer = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        for (;;) {
            check_interrupted();
            int status = archive_read_data_block(source, &buffer, &size, &offset);
            if (status == ARCHIVE_EOF) return;
            if (status < ARCHIVE_WARN)
                fail_input("{}: cannot read '{}': {}", label_, name, archive_error_string(source));
            if (archive_write_data_block(disk_.get(), buffer, size, offset) != ARCHIVE_OK)
                fail("{}: cannot write '{}': {}", label_, name, disk_error());
        }
    }

    std::string label_;
    std::function<std::string(const char*)> to_name_;
    Writer disk_;
    fs::path dest_;
    ExtractStats stats_;
};

} // namespace

ExtractStats extract_archive(const fs::path& archive_path, const fs::path& dest) {
    Reader reader(archive_read_new());
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_all(reader.get());
    if (archive_read_open_filename(reader.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK)
        fail_input("cannot read the archive '{}': {}", archive_path.string(), archive_error_string(reader.get()));
    Stager stager(archive_path.string(), dest, [](const char* name) { return std::string(name ? name : ""); });
    for (;;) {
        archive_entry* entry = nullptr;
        int status = archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF) break;
        if (status < ARCHIVE_WARN)
            fail_input("{}: the archive is corrupt or truncated: {}", archive_path.string(),
                       archive_error_string(reader.get()));
        stager.add(reader.get(), entry);
    }
    return stager.finish();
}

ExtractStats copy_tree(const fs::path& source, const fs::path& dest) {
    std::error_code ec;
    if (!fs::is_directory(source, ec)) fail_input("the rootfs directory '{}' does not exist", source.string());
    std::string root = fs::canonical(source).string();
    Reader reader(archive_read_disk_new());
    archive_read_disk_set_symlink_physical(reader.get());
    archive_read_disk_set_behavior(reader.get(), ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
    if (archive_read_disk_open(reader.get(), root.c_str()) != ARCHIVE_OK)
        fail("cannot read the directory '{}': {}", root, archive_error_string(reader.get()));
    // Names relative to the source ("etc/passwd"), as errors show them.
    auto to_name = [root](const char* path) {
        std::string name = path ? path : "";
        if (name.compare(0, root.size(), root) == 0) name.erase(0, root.size());
        name.erase(0, name.find_first_not_of('/'));
        return name.empty() ? std::string(".") : name;
    };
    // read_disk sees each name of a hard-linked file as a separate file; the
    // resolver turns the second and later names into hard links to the first.
    std::unique_ptr<archive_entry_linkresolver, ResolverCloser> resolver(archive_entry_linkresolver_new());
    archive_entry_linkresolver_set_strategy(resolver.get(), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
    Stager stager(root, dest, to_name);
    for (;;) {
        archive_entry* entry = archive_entry_new();
        std::unique_ptr<archive_entry, void (*)(archive_entry*)> owned(entry, archive_entry_free);
        int status = archive_read_next_header2(reader.get(), entry);
        if (status == ARCHIVE_EOF) break;
        if (status < ARCHIVE_WARN) fail("{}: {}", root, archive_error_string(reader.get()));
        // Copying "/" (or a parent of the work tree) must not copy the copy.
        if (stager.dest() == archive_entry_pathname(entry)) continue;
        archive_read_disk_descend(reader.get());
        archive_entry* spare = nullptr;
        archive_entry_linkify(resolver.get(), &entry, &spare);
        if (entry) stager.add(reader.get(), entry);
    }
    return stager.finish();
}

} // namespace lethe::stage
