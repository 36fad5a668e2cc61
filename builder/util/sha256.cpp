#include "util/sha256.hpp"

#include "util/error.hpp"
#include "util/file.hpp"

#include <fcntl.h>
#include <openssl/evp.h>

#include <array>
#include <memory>

namespace lethe {
namespace {

class Sha256 {
public:
    Sha256() : context_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) fail("cannot start SHA-256");
    }
    void update(const void* bytes, size_t size) {
        if (EVP_DigestUpdate(context_.get(), bytes, size) != 1) fail("cannot compute SHA-256");
    }
    std::string hex() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned size = 0;
        if (EVP_DigestFinal_ex(context_.get(), digest.data(), &size) != 1) fail("cannot compute SHA-256");
        std::string out;
        for (unsigned i = 0; i < size; ++i) out += fmt::format("{:02x}", digest[i]);
        return out;
    }

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context_;
};

} // namespace

std::string sha256_hex(std::string_view bytes) {
    Sha256 hash;
    hash.update(bytes.data(), bytes.size());
    return hash.hex();
}

std::string sha256_file(const std::filesystem::path& path) {
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno("cannot open", path.string());
    static const std::vector<char> zeros(1 << 20);
    Sha256 hash;
    walk_extents(fd.get(), path.string(), [&](uint64_t offset, uint64_t length, bool data) {
        if (data) {
            read_range(fd.get(), path.string(), offset, length, [&](const char* bytes, size_t n) { hash.update(bytes, n); });
            return;
        }
        for (uint64_t done = 0; done < length; done += zeros.size())
            hash.update(zeros.data(), std::min<uint64_t>(length - done, zeros.size()));
    });
    return hash.hex();
}

} // namespace lethe
