// lethe: builds immutable, amnesiac boot images. This file only maps the
// command line onto the library; see docs/ARCHITECTURE.md.

#include "build.hpp"
#include "features/registry.hpp"
#include "part/inspect.hpp"
#include "plan/plan.hpp"
#include "plan/json_text.hpp"
#include "plan/plan_json.hpp"
#include "vm/boot.hpp"
#include "secret/command.hpp"
#include "util/error.hpp"
#include "verity/command.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace {

void setup_logging(bool verbose) {
    auto logger = spdlog::stderr_color_st("lethe");
    logger->set_pattern("lethe: %^%v%$");
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
    spdlog::set_default_logger(logger);
}

void add_plan_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("plan", "Print what `build` would do, as JSON; touches nothing");
    auto recipe = std::make_shared<std::string>();
    cmd->add_option("RECIPE", *recipe, "Image recipe (YAML)")->required();
    cmd->callback([recipe] {
        lethe::plan::Plan plan = lethe::features::make_plan(lethe::features::load_recipe(*recipe));
        lethe::plan::place_partitions(plan, {});
        std::cout << lethe::plan::json_text(lethe::plan::to_json(plan));
    });
}

void add_inspect_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("inspect", "Show the partitions and filesystems of a raw disk image");
    auto image = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("IMAGE", *image, "Raw disk image (for qcow2, convert it with qemu-img first)")->required();
    cmd->add_flag("--json", *json, "Print JSON instead of a table");
    cmd->callback([image, json] {
        lethe::part::Inspection inspection = lethe::part::inspect_image(*image);
        if (*json)
            std::cout << lethe::plan::json_text(lethe::part::inspection_json(inspection));
        else
            std::cout << lethe::part::inspection_text(inspection);
    });
}

void add_build_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("build", "Build an image from a recipe");
    auto options = std::make_shared<lethe::BuildOptions>();
    cmd->add_option("RECIPE", options->recipe, "Image recipe (YAML)")->required();
    cmd->add_option("-o,--output", options->output_dir, "Directory for the outputs")->required();
    cmd->add_option("--cache-dir", options->cache_dir, "Where fetched root filesystems are kept");
    cmd->add_option("--work-dir", options->work_dir, "Scratch space (default: OUTPUT/.lethe-work-NAME)");
    cmd->add_flag("--keep-work", options->keep_work, "Keep the work directory after the build");
    cmd->callback([options] { lethe::build(*options); });
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"lethe: builds immutable, amnesiac boot images"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("lethe ") + LETHE_VERSION);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "Log the commands lethe runs");
    add_build_command(app);
    add_plan_command(app);
    add_inspect_command(app);
    lethe::vm::add_boot_command(app);
    lethe::secret::add_secret_command(app);
    lethe::verity::add_verify_command(app);
    app.parse_complete_callback([&] { setup_logging(verbose); });
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : static_cast<int>(lethe::ExitCode::bad_input);
    } catch (const lethe::Error& e) {
        std::cerr << "lethe: error: " << e.what() << "\n";
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        std::cerr << "lethe: error: " << e.what() << "\n";
        return static_cast<int>(lethe::ExitCode::failure);
    }
    return 0;
}
