#pragma once

#include "util/interrupt.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <string>

namespace lethe {

// Logs a pipeline stage as it starts and ends, with its duration, the way
// mold's Timer does: `Stage stage("make filesystems");`. A stage left by
// an exception (more of them in flight than when it began) failed, and says
// so: "make filesystems: failed after 1.20 s".
class Stage {
public:
    explicit Stage(std::string name)
        : name_(std::move(name)), start_(std::chrono::steady_clock::now()),
          exceptions_(std::uncaught_exceptions()) {
        check_interrupted(); // a signal stops the build between stages at the latest
        spdlog::info("{} ...", name_);
    }
    ~Stage() {
        std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
        if (std::uncaught_exceptions() > exceptions_)
            spdlog::info("{}: failed after {:.2f} s", name_, elapsed.count());
        else
            spdlog::info("{}: done in {:.2f} s", name_, elapsed.count());
    }
    Stage(const Stage&) = delete;
    Stage& operator=(const Stage&) = delete;

private:
    std::string name_;
    std::chrono::steady_clock::time_point start_;
    int exceptions_;
};

} // namespace lethe
