// The layout parser on the text of a layout file.

#include "fuzz_support.hpp"
#include "spec/parse.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        lethe::spec::parse_layout_file(lethe::fuzz::text_of(data, size),
                                       "/nonexistent-lethe-fuzz/layout.yaml");
    } catch (const lethe::Error& e) {
        lethe::fuzz::require(e.code() == lethe::ExitCode::bad_input,
                             "a layout error is not exit status 2");
    }
    return 0;
}
