// The recipe parser on arbitrary text, with the layout it holds or names and
// the sections of the features, and the plan made of it. A refusal is
// lethe::Error with exit status 2; anything else that escapes, or
// a crash, is a finding. The recipe sits in a scratch folder that holds what
// the seeds name (layout.yaml, rootfs/, rootfs.tar, authkey.age), so the
// fuzzer gets past the checks that files exist.

#include "fuzz_support.hpp"
#include "features/registry.hpp"
#include "util/error.hpp"

#include <filesystem>
#include <spdlog/spdlog.h>
#include <fstream>
#include <stdlib.h>

namespace {

const char* layout = R"(disk:
  size: 4G
  partitions:
    - {name: usr, type: usr, size: auto, filesystem: erofs}
    - {name: persist, type: linux-generic, size: rest, filesystem: ext4}
root:
  tmpfs: {size: 1G, mode: "0755", options: [nosuid, nodev]}
persistence:
  partition: persist
  mount: /persist
  directories: [/etc/ssh, /var/lib, {path: /root/.ssh, mode: "0700"}]
  files: [/etc/machine-id]
)";

std::filesystem::path scratch;

void remove_scratch() {
    std::filesystem::remove_all(scratch);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "lethe-fuzz-recipe-XXXXXX").string();
    scratch = mkdtemp(pattern.data());
    spdlog::set_level(spdlog::level::off); // the planners' warnings, millions of times
    atexit(remove_scratch);
    std::ofstream(scratch / "layout.yaml") << layout;
    std::ofstream(scratch / "authkey.age") << "age-encryption.org/v1\n";
    std::ofstream(scratch / "rootfs.tar") << "";
    std::filesystem::create_directory(scratch / "rootfs");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto recipe = lethe::features::parse_recipe(lethe::fuzz::text_of(data, size),
                                                    (scratch / "recipe.yaml").string());
        lethe::features::make_plan(recipe);
    } catch (const lethe::Error& e) {
        lethe::fuzz::require(e.code() == lethe::ExitCode::bad_input,
                             "a recipe error is not exit status 2");
    }
    return 0;
}
