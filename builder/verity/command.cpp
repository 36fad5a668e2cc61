#include "verity/command.hpp"

#include "exec/command_runner.hpp"
#include "util/error.hpp"
#include "verity/verify.hpp"

#include <iostream>
#include <memory>

namespace lethe::verity {

void add_verify_command(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "verify", "Check offline that an image's usr partition matches its dm-verity root hash");
    auto options = std::make_shared<VerifyOptions>();
    cmd->add_option("IMAGE", options->image, "NAME.raw or NAME.qcow2")->required();
    cmd->add_option("--manifest", options->manifest,
                    "NAME.manifest.json: its verity.root_hash must be the boot loaders' too");
    cmd->add_option("--temp-dir", options->temp_dir,
                    "Where a qcow2 image is converted to raw (default: $TMPDIR or /tmp)");
    cmd->callback([options] {
        exec::SystemRunner runner;
        // Exit 1 on a mismatch: the report above says where.
        if (!verify_image(*options, runner, std::cout))
            fail("'{}' does not match its root hash", options->image.string());
    });
}

} // namespace lethe::verity
