#include "verity/veritysetup.hpp"

#include "initrd/failure.hpp"
#include "initrd/verity.hpp"
#include "plan/plan.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/uuid.hpp"

#include <algorithm>
#include <array>
#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>

namespace lethe::verity {
namespace {

// The whole HMAC-SHA256, not derive_bytes' 128 bits: the salt is 32 bytes.
std::string derive_salt_hex(std::string_view seed, std::string_view purpose) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(seed.data()),
                                seed.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(purpose.data()),
                                  purpose.size());
    std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
    crypto_auth_hmacsha256_final(&state, mac.data());
    std::string hex;
    for (unsigned char byte : mac)
        hex += fmt::format("{:02x}", byte);
    return hex;
}

} // namespace

FormatJob format_job(std::string_view seed, std::string_view partition,
                     const std::filesystem::path& data_image,
                     const std::filesystem::path& hash_image) {
    std::string name(partition);
    return {data_image, hash_image, derive_salt_hex(seed, "verity-salt:" + name),
            derive_uuid(seed, "verity-superblock:" + name)};
}

exec::Command format_command(const FormatJob& job) {
    return {{"veritysetup", "format", job.data_image.string(), job.hash_image.string(),
             fmt::format("--hash={}", plan::verity_hash_algorithm),
             fmt::format("--data-block-size={}", plan::verity_data_block_size),
             fmt::format("--hash-block-size={}", plan::verity_hash_block_size), "--salt=" + job.salt_hex,
             "--uuid=" + job.uuid}};
}

std::string parse_root_hash(std::string_view output) {
    constexpr std::string_view key = "Root hash:";
    size_t at = output.find(key);
    if (at == std::string_view::npos || (at > 0 && output[at - 1] != '\n'))
        fail("veritysetup printed no root hash:\n{}", output);
    std::string_view rest = output.substr(at + key.size());
    size_t start = std::min(rest.find_first_not_of(" \t"), rest.size());
    std::string hash(rest.substr(start, rest.find_first_of(" \t\r\n", start) - start));
    try {
        init::check_root_hash(hash, "veritysetup's root hash");
    } catch (const init::Failure& error) {
        fail("{}", error.what());
    }
    return hash;
}

std::string format(exec::CommandRunner& runner, const FormatJob& job) {
    // veritysetup covers whole blocks only and says nothing of a tail.
    std::error_code error;
    uint64_t size = std::filesystem::file_size(job.data_image, error);
    if (error) fail_errno("cannot read the size of", job.data_image.string(), error.value());
    constexpr uint32_t block = plan::verity_data_block_size;
    if (size % block != 0)
        fail("'{}' is {} bytes, not whole blocks of {}: its last {} bytes would not be protected",
             job.data_image.string(), size, block, size % block);
    Fd fd(::open(job.hash_image.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) fail_errno("cannot create", job.hash_image.string());
    return parse_root_hash(runner.run(format_command(job)));
}

} // namespace lethe::verity
