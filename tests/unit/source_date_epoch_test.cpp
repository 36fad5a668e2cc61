#include "test_checks.hpp"
#include "util/error.hpp"
#include "util/source_date_epoch.hpp"

#include <catch2/catch.hpp>

using namespace lethe;

namespace {

std::string error_of(const char* value) {
    return test::input_error([&] { source_date_epoch_from(value); });
}

} // namespace

TEST_CASE("SOURCE_DATE_EPOCH is whole decimal seconds", "[epoch]") {
    CHECK_FALSE(source_date_epoch_from(nullptr));
    CHECK(source_date_epoch_from("1700000000") == 1700000000);
    CHECK(source_date_epoch_from("0") == 0);
    CHECK(source_date_epoch_from("0001") == 1);
    CHECK(source_date_epoch_from("4294967295") == 4294967295);
    for (const char* bad :
         {"1700000000abc", " 1700000000", "1700000000 ", "-1", "+5", "1e9", "0x10", "17.5"})
        CHECK_THAT(error_of(bad),
                   Catch::StartsWith(std::string("SOURCE_DATE_EPOCH='") + bad +
                                     "' is not a number of seconds since 1970-01-01 UTC"));
    CHECK_THAT(error_of(""), Catch::StartsWith("SOURCE_DATE_EPOCH is set but empty"));
    CHECK_THAT(error_of("4294967296"),
               Catch::StartsWith("SOURCE_DATE_EPOCH=4294967296 is later than 4294967295"));
    CHECK_THAT(error_of("99999999999999999999999999"), Catch::Contains("is later than"));
}
