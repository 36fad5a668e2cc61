#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "test_support.hpp"

// The one file that knows where the source tree is (see tests/CMakeLists.txt).
std::filesystem::path lethe::test::source_dir() { return std::filesystem::path(LETHE_TEST_DATA).parent_path(); }
