// lethe-init's /lethe/init.conf parser. Its one error type is Failure. The
// builder writes the file with render_init_config: whatever parses must
// render to a text that parses to the same configuration.

#include "fuzz_support.hpp"
#include "initrd/failure.hpp"
#include "initrd/init_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace lethe::init;
    InitConfig config;
    try {
        config = parse_init_config(lethe::fuzz::text_of(data, size));
    } catch (const Failure&) {
        return 0;
    }
    InitConfig again;
    try {
        again = parse_init_config(render_init_config(config));
    } catch (const Failure&) {
        lethe::fuzz::require(false, "a parsed init.conf renders to one that does not parse");
    }
    lethe::fuzz::require(again == config, "a parsed init.conf renders to a different one");
    return 0;
}
