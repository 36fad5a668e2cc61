#include "outputs/publish.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

namespace lethe::outputs {

Publisher::Publisher(std::filesystem::path staging, std::filesystem::path output_dir)
    : staging_(std::move(staging)), output_dir_(std::move(output_dir)) {
    std::filesystem::create_directories(staging_);
}

std::filesystem::path Publisher::path(const std::string& name) {
    if (std::find(names_.begin(), names_.end(), name) == names_.end()) names_.push_back(name);
    return staging_ / name;
}

void Publisher::forget(const std::string& name) {
    names_.erase(std::remove(names_.begin(), names_.end(), name), names_.end());
    std::error_code ec;
    std::filesystem::remove(staging_ / name, ec);
}

void Publisher::publish() {
    std::vector<std::string> names = names_;
    std::sort(names.begin(), names.end());
    std::string sums;
    for (const auto& name : names) sums += sha256_file(staging_ / name) + "  " + name + "\n";
    write_file_atomic(staging_ / "SHA256SUMS", sums);
    names.push_back("SHA256SUMS");
    for (const auto& name : names) {
        std::filesystem::path from = staging_ / name, to = output_dir_ / name;
        if (std::rename(from.c_str(), to.c_str()) != 0) fail_errno("cannot move the output into place:", to.string());
        spdlog::info("wrote {}", to.string());
    }
}

} // namespace lethe::outputs
