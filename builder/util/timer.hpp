#pragma once

#include "util/interrupt.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <string>

namespace lethe {

// Logs a pipeline stage as it starts and ends, with its duration, the way
// mold's Timer does: `Timer timer("make filesystems");`. A stage left by an
// exception says it failed, not that it is done.
class Timer {
public:
    explicit Timer(std::string name)
        : name_(std::move(name)), start_(std::chrono::steady_clock::now()), exceptions_(std::uncaught_exceptions()) {
        check_interrupted(); // a signal stops the build between stages at the latest
        spdlog::info("{} ...", name_);
    }
    ~Timer() {
        std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
        bool failed = std::uncaught_exceptions() > exceptions_;
        spdlog::info("{}: {} {:.2f} s", name_, failed ? "failed after" : "done in", elapsed.count());
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

private:
    std::string name_;
    std::chrono::steady_clock::time_point start_;
    int exceptions_; // in flight when the stage began
};

} // namespace lethe
