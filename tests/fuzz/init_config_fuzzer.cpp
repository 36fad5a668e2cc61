// lethe-init's /lethe/init.conf parser. Its one error type is Failure.

#include "fuzz_support.hpp"
#include "initrd/boot_config.hpp"
#include "initrd/failure.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        lethe::init::parse_boot_config(lethe::fuzz::text_of(data, size));
    } catch (const lethe::init::Failure&) {
    }
    return 0;
}
