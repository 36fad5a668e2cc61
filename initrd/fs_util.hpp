#pragma once
// Small file-system helpers for lethe-init; each throws Failure naming the path.

#include <string>
#include <sys/types.h>
#include <unistd.h>

namespace lethe::init {

// An open file descriptor, closed on every path out, exceptions included.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

// ROOT + PATH with exactly one slash between them ("/newroot" + "etc" or "/etc").
std::string join(const std::string& root, const std::string& path);

bool exists(const std::string& path); // without following a final symlink

// mkdir -p: missing parents (and PATH) are made root-owned with MODE.
void make_directories(const std::string& path, mode_t mode = 0755);

// PATH as a directory (made if missing, parents 0755) with exactly MODE.
void ensure_directory(const std::string& path, mode_t mode);

// An empty regular file at PATH if nothing is there (parents 0755).
void ensure_file(const std::string& path, mode_t mode);

std::string read_text_file(const std::string& path);

void mount_or_fail(const std::string& source, const std::string& target, const char* fstype,
                   unsigned long flags, const std::string& data = {});

} // namespace lethe::init
