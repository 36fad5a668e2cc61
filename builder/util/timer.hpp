#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

namespace lethe {

// Logs a pipeline stage as it starts and ends, with its duration, the way
// mold's Timer does: `Stage stage("make filesystems");`
class Stage {
public:
    explicit Stage(std::string name) : name_(std::move(name)), start_(std::chrono::steady_clock::now()) {
        spdlog::info("{} ...", name_);
    }
    ~Stage() {
        std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
        spdlog::info("{}: done in {:.2f} s", name_, elapsed.count());
    }
    Stage(const Stage&) = delete;
    Stage& operator=(const Stage&) = delete;

private:
    std::string name_;
    std::chrono::steady_clock::time_point start_;
};

} // namespace lethe
