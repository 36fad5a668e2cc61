#include "initramfs/cpio_writer.hpp"

#include "util/error.hpp"
#include "util/file.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <exception>
#include <fcntl.h>
#include <lzma.h>
#include <map>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace lethe::initramfs {
namespace {

enum class Kind { directory, file, character_device };

struct Entry {
    Kind kind = Kind::directory;
    unsigned mode = 0755;
    std::string content;          // for files made here
    std::filesystem::path source; // for files copied from the host
    bool module = false;          // source is a kernel module, maybe compressed
    unsigned device_major = 0, device_minor = 0;
};

// By path without the leading '/'. std::map orders bytewise, so a directory
// always comes before its contents, as the kernel's unpacker needs.
using Entries = std::map<std::string, Entry>;

void add_parents(Entries& entries, const std::string& path) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1))
        entries.emplace(path.substr(0, slash), Entry{});
}

Entries initrd_entries(const std::filesystem::path& init_program,
                       const std::string& init_config_text, const InitrdModules& modules) {
    Entries entries;
    for (const char* dir : {"dev", "proc", "sys", "run", "lethe"})
        entries[dir] = Entry{};
    // The kernel opens /dev/console for init's stdio before anything mounts devtmpfs.
    entries["dev/console"] = Entry{Kind::character_device, 0600, {}, {}, false, 5, 1};
    entries["init"] = Entry{Kind::file, 0755, {}, init_program, false, 0, 0};
    entries["lethe/init.conf"] = Entry{Kind::file, 0644, init_config_text, {}, false, 0, 0};
    for (size_t i = 0; i < modules.paths_in_initrd.size() && i < modules.sources.size(); ++i) {
        std::string path = modules.paths_in_initrd[i];
        if (path.starts_with('/')) path.erase(0, 1);
        add_parents(entries, path);
        entries[path] = Entry{Kind::file, 0644, {}, modules.sources.at(i), true, 0, 0};
    }
    return entries;
}

std::string entry_content(const Entry& entry) {
    if (entry.kind != Kind::file) return {};
    if (entry.source.empty()) return entry.content;
    return entry.module ? read_kernel_module(entry.source) : read_file(entry.source);
}

// Where libarchive's output goes: the file, through an xz encoder for "xz".
// libarchive's own xz filter cannot be used: it always writes a CRC64 check,
// and the kernel's XZ decoder only knows CRC32 (hence `xz --check=crc32` in
// the kernel's and dracut's build scripts).
class Sink {
  public:
    Sink(int fd, std::string path, bool xz) : fd_(fd), path_(std::move(path)), xz_(xz) {
        if (!xz_) return;
        lzma_options_lzma options;
        if (lzma_lzma_preset(&options, 6)) fail("cannot set up the xz encoder");
        options.dict_size =
            1 << 20; // the decoder allocates the whole dictionary in early boot: keep it small
        lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};
        if (lzma_stream_encoder(&stream_, filters, LZMA_CHECK_CRC32) != LZMA_OK)
            fail("cannot set up the xz encoder");
    }
    ~Sink() {
        if (xz_) lzma_end(&stream_);
    }
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    void write(const void* data, size_t size) {
        if (!xz_) return write_file(static_cast<const uint8_t*>(data), size);
        stream_.next_in = static_cast<const uint8_t*>(data);
        stream_.avail_in = size;
        encode(LZMA_RUN);
    }
    void finish() {
        if (xz_) encode(LZMA_FINISH);
    }
    uint64_t written() const { return written_; }

  private:
    void encode(lzma_action action) {
        uint8_t buffer[1 << 16];
        for (;;) {
            stream_.next_out = buffer;
            stream_.avail_out = sizeof buffer;
            lzma_ret ret = lzma_code(&stream_, action);
            if (ret != LZMA_OK && ret != LZMA_STREAM_END)
                fail("xz compression of '{}' failed (error {})", path_, int(ret));
            write_file(buffer, sizeof buffer - stream_.avail_out);
            if (ret == LZMA_STREAM_END || (action == LZMA_RUN && stream_.avail_in == 0)) return;
        }
    }
    void write_file(const uint8_t* data, size_t size) {
        for (size_t done = 0; done < size;) {
            ssize_t n = ::write(fd_, data + done, size - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail_errno("cannot write", path_);
            done += static_cast<size_t>(n);
        }
        written_ += size;
    }

    int fd_;
    std::string path_;
    bool xz_;
    lzma_stream stream_ = LZMA_STREAM_INIT;
    uint64_t written_ = 0;
};

// libarchive calls back through C: exceptions are parked here and rethrown after.
struct Client {
    Sink* sink;
    std::exception_ptr error;
};

la_ssize_t write_callback(archive* a, void* data, const void* buffer, size_t length) {
    auto* client = static_cast<Client*>(data);
    try {
        client->sink->write(buffer, length);
        return static_cast<la_ssize_t>(length);
    } catch (...) {
        client->error = std::current_exception();
        archive_set_error(a, EIO, "write failed");
        return -1;
    }
}

using WriteArchive = std::unique_ptr<archive, decltype(&archive_write_free)>;

class Writer {
  public:
    Writer(Client& client, const std::string& path)
        : a_(archive_write_new(), archive_write_free), client_(client), path_(path) {
        if (!a_) fail("cannot write the initrd '{}': out of memory", path);
    }
    archive* get() { return a_.get(); }

    void check(int status) {
        if (client_.error) std::rethrow_exception(client_.error);
        if (status < ARCHIVE_WARN)
            fail("cannot write the initrd '{}': {}", path_, archive_error_string(a_.get()));
    }

    void set_compression(const std::string& compression) {
        archive* a = a_.get();
        if (compression == "zstd") {
            check(archive_write_add_filter_zstd(a));
            // Level 9, not 19: a twelfth of the CPU (0.08 s against 0.99 s for the
            // example's initrd), 11 % larger, and zstd unpacks both at the same
            // speed (docs/BENCHMARKS.md).
            check(archive_write_set_filter_option(a, "zstd", "compression-level", "9"));
        } else if (compression == "gzip") {
            check(archive_write_add_filter_gzip(a));
            check(archive_write_set_filter_option(a, "gzip", "compression-level", "9"));
            check(archive_write_set_filter_option(a, "gzip", "timestamp", nullptr)); // "!timestamp"
        } else if (compression != "xz" && compression != "none") {
            fail_input("unknown initrd compression '{}' (expected zstd, xz, gzip or none)",
                       compression);
        }
    }

    void add(const std::string& path, const Entry& entry, int64_t inode, int64_t epoch) {
        std::string content = entry_content(entry);
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(),
                                                                        archive_entry_free);
        archive_entry_set_pathname(e.get(), path.c_str());
        archive_entry_set_filetype(e.get(), entry.kind == Kind::directory ? AE_IFDIR
                                            : entry.kind == Kind::file    ? AE_IFREG
                                                                          : AE_IFCHR);
        archive_entry_set_perm(e.get(), entry.mode);
        archive_entry_set_uid(e.get(), 0);
        archive_entry_set_gid(e.get(), 0);
        archive_entry_set_mtime(e.get(), epoch, 0);
        archive_entry_set_ino64(e.get(), inode);
        archive_entry_set_nlink(e.get(), entry.kind == Kind::directory ? 2 : 1);
        archive_entry_set_rdevmajor(e.get(), entry.device_major);
        archive_entry_set_rdevminor(e.get(), entry.device_minor);
        archive_entry_set_size(e.get(), static_cast<la_int64_t>(content.size()));
        check(archive_write_header(a_.get(), e.get()));
        if (content.empty()) return;
        la_ssize_t n = archive_write_data(a_.get(), content.data(), content.size());
        check(n < 0 ? static_cast<int>(n) : ARCHIVE_OK);
        if (static_cast<size_t>(n) != content.size())
            fail("cannot write '{}' into the initrd '{}'", path, path_);
    }

  private:
    WriteArchive a_;
    Client& client_;
    std::string path_;
};

// A temporary file next to `out`, removed unless kept.
struct TempFile {
    std::string path;
    Fd fd;
    bool keep = false;
    explicit TempFile(const std::filesystem::path& out) : path(out.string() + ".tmp-XXXXXX") {
        fd = Fd(mkstemp(path.data()));
        if (fd.get() < 0) fail_errno("cannot create", path);
    }
    ~TempFile() {
        if (!keep) unlink(path.c_str());
    }
};

InitrdSummary write_archive(const std::string& path, const TempFile& temp, const Entries& entries,
                            const std::string& compression, int64_t epoch) {
    Sink sink(temp.fd.get(), temp.path, compression == "xz");
    Client client{&sink, nullptr};
    Writer writer(client, path);
    archive* a = writer.get();
    writer.check(archive_write_set_format_cpio_newc(a));
    writer.set_compression(compression);
    writer.check(archive_write_set_bytes_per_block(a, 0));
    writer.check(archive_write_set_bytes_in_last_block(a, 1));
    writer.check(archive_write_open(a, &client, nullptr, write_callback, nullptr));
    int64_t inode = 0;
    for (const auto& [name, entry] : entries)
        writer.add(name, entry, ++inode, epoch);
    writer.check(archive_write_close(a));
    sink.finish();
    InitrdSummary summary;
    summary.entries = entries.size();
    summary.uncompressed_bytes = static_cast<uint64_t>(archive_filter_bytes(a, 0));
    summary.compressed_bytes = sink.written();
    return summary;
}

} // namespace

std::string read_kernel_module(const std::filesystem::path& source) {
    std::string name = source.filename().string();
    bool compressed = uncompressed_module_path(name) != name;
    std::string data;
    if (!compressed) {
        data = read_file(source);
    } else {
        // The raw format with every filter reads one compressed stream: xz, zstd or gzip.
        std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                                 archive_read_free);
        archive_read_support_filter_all(a.get());
        archive_read_support_format_raw(a.get());
        archive_entry* entry = nullptr;
        if (archive_read_open_filename(a.get(), source.c_str(), 1 << 16) != ARCHIVE_OK ||
            archive_read_next_header(a.get(), &entry) != ARCHIVE_OK)
            fail("cannot read kernel module '{}': {}", source.string(),
                 archive_error_string(a.get()));
        char buffer[1 << 16];
        la_ssize_t n;
        while ((n = archive_read_data(a.get(), buffer, sizeof buffer)) > 0)
            data.append(buffer, static_cast<size_t>(n));
        if (n < 0)
            fail("cannot decompress kernel module '{}': {}", source.string(),
                 archive_error_string(a.get()));
    }
    if (data.compare(0, 4,
                     "\x7f"
                     "ELF") != 0)
        fail_input("'{}' is not a kernel module: no ELF header{}", source.string(),
                   compressed ? " after decompression" : "");
    return data;
}

InitrdSummary write_initrd(const std::filesystem::path& out,
                           const std::filesystem::path& init_program,
                           const std::string& init_config_text, const InitrdModules& modules,
                           const std::string& compression, int64_t epoch) {
    auto entries = initrd_entries(init_program, init_config_text, modules);
    TempFile temp(out);
    auto summary = write_archive(out.string(), temp, entries, compression, epoch);
    if (fchmod(temp.fd.get(), 0644) != 0 || fsync(temp.fd.get()) != 0)
        fail_errno("cannot write", temp.path);
    if (rename(temp.path.c_str(), out.c_str()) != 0) fail_errno("cannot rename to", out.string());
    temp.keep = true;
    return summary;
}

} // namespace lethe::initramfs
