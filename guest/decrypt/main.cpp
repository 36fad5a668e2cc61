// lethe-decrypt: opens an age file with the instance's identity at boot.
//   lethe-decrypt --identity FILE [--identity FILE...] --output PATH AGEFILE
// Writes the plaintext to PATH (mode 0600, atomically) and nothing else: the
// plaintext is never printed, so it cannot reach the journal. Exit status 2
// for bad input (usage, not an age file, no identity matches), 1 otherwise.

#include "secret/age.hpp"
#include "secret/primitives.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace {

struct Options {
    std::vector<std::string> identity_files;
    std::string output;
    std::string input;
};

const char* usage =
    "usage: lethe-decrypt --identity FILE [--identity FILE...] --output PATH AGEFILE";

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool has_value = i + 1 < argc;
        if ((arg == "--identity" || arg == "-i") && has_value) {
            options.identity_files.push_back(argv[++i]);
        } else if ((arg == "--output" || arg == "-o") && has_value) {
            options.output = argv[++i];
        } else if (!arg.empty() && arg[0] != '-' && options.input.empty()) {
            options.input = arg;
        } else {
            lethe::fail_input("unexpected argument '{}'\n{}", arg, usage);
        }
    }
    if (options.identity_files.empty() || options.output.empty() || options.input.empty())
        lethe::fail_input("{}", usage);
    return options;
}

void decrypt(const Options& options) {
    using namespace lethe::secret;
    std::vector<Identity> identities;
    for (const std::string& path : options.identity_files) {
        std::string text = lethe::read_file(path);
        Wipe wipe_text(text);
        for (const Identity& identity : parse_identity_file(text, path))
            identities.push_back(identity);
    }
    if (identities.empty()) lethe::fail_input("no identity in {}", options.identity_files.front());
    std::string plaintext =
        lethe::secret::decrypt(lethe::read_file(options.input), identities, options.input);
    Wipe wipe_plaintext(plaintext);
    lethe::write_file_atomic(options.output, plaintext, 0600);
}

} // namespace

int main(int argc, char** argv) {
    try {
        decrypt(parse_options(argc, argv));
        return 0;
    } catch (const lethe::Error& e) {
        std::fprintf(stderr, "lethe-decrypt: error: %s\n", e.what());
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lethe-decrypt: error: %s\n", e.what());
        return 1;
    }
}
