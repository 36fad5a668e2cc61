#include "util/timer.hpp"

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <sstream>
#include <stdexcept>

namespace {

// The default logger writes into `out` while it lives.
struct CapturedLog {
    std::ostringstream out;
    std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
    CapturedLog() {
        auto logger = std::make_shared<spdlog::logger>(
            "test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
        logger->set_pattern("%v");
        spdlog::set_default_logger(logger);
    }
    ~CapturedLog() { spdlog::set_default_logger(previous); }
};

} // namespace

TEST_CASE("a stage that ends normally is done, one left by an exception failed", "[util]") {
    CapturedLog log;
    { lethe::Timer timer("copy"); }
    CHECK(log.out.str().find("copy: done in ") != std::string::npos);
    try {
        lethe::Timer timer("mkfs");
        throw std::runtime_error("disk full");
    } catch (const std::exception&) {
    }
    CHECK(log.out.str().find("mkfs: failed after ") != std::string::npos);
    CHECK(log.out.str().find("mkfs: done") == std::string::npos);
}

TEST_CASE("a stage run while another exception unwinds is judged by its own end", "[util]") {
    CapturedLog log;
    struct Cleanup {
        ~Cleanup() { lethe::Timer timer("cleanup"); } // runs during unwinding, ends normally
    };
    try {
        Cleanup cleanup;
        throw std::runtime_error("failed");
    } catch (const std::exception&) {
    }
    CHECK(log.out.str().find("cleanup: done in ") != std::string::npos);
}
