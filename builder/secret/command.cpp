#include "secret/command.hpp"

#include "secret/age.hpp"
#include "secret/primitives.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/input_file.hpp"

#include <ctime>
#include <fcntl.h>
#include <iostream>
#include <iterator>
#include <memory>
#include <unistd.h>

namespace lethe::secret {
namespace {

struct KeygenOptions {
    std::string output;
};

struct EncryptOptions {
    std::vector<std::string> recipients;
    std::vector<std::string> recipient_files;
    bool armor = false;
    std::string output;
    std::string input;
};

struct DecryptOptions {
    std::vector<std::string> identity_files;
    std::string output;
    std::string input;
};

std::string read_input(const std::string& path) {
    if (!path.empty() && path != "-")
        return read_input_file(path, max_secret_file_bytes, "input file");
    std::string data{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    if (std::cin.bad()) fail_errno("cannot read", "standard input");
    return data;
}

void write_stdout(const std::string& data) {
    for (size_t done = 0; done < data.size();) {
        ssize_t n = write(STDOUT_FILENO, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("cannot write", "standard output");
        done += static_cast<size_t>(n);
    }
}

// Writes a new file only: an identity must never silently replace another.
void write_new_file(const std::string& path, const std::string& content) {
    Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0 && errno == EEXIST) fail_input("'{}' exists; refusing to overwrite an identity file", path);
    if (fd.get() < 0) fail_errno("cannot create", path);
    if (write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()) || fsync(fd.get()) != 0) {
        int err = errno;
        unlink(path.c_str());
        fail_errno("cannot write", path, err);
    }
}

std::string utc_now() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

void keygen(const KeygenOptions& options) {
    auto [identity, recipient] = generate_identity();
    Wipe wipe_identity(identity);
    std::string text = "# created: " + utc_now() + "\n# public key: " + recipient + "\n" + identity + "\n";
    Wipe wipe_text(text);
    if (options.output.empty()) {
        write_stdout(text);
        return;
    }
    write_new_file(options.output, text);
    std::cerr << "Public key: " << recipient << "\n";
}

void encrypt_command(const EncryptOptions& options) {
    std::vector<Recipient> recipients;
    for (const std::string& text : options.recipients) recipients.push_back(parse_recipient(text));
    for (const std::string& path : options.recipient_files) {
        std::string text = read_input_file(path, max_key_file_bytes, "recipients file");
        for (const Recipient& r : parse_recipients_file(text, path))
            recipients.push_back(r);
    }
    if (recipients.empty()) fail_input("no recipients: give -r RECIPIENT or -R FILE");
    if (!options.armor && options.output.empty() && isatty(STDOUT_FILENO)) {
        fail_input("refusing to write binary ciphertext to a terminal; use -a (armor) or -o FILE");
    }
    std::string plaintext = read_input(options.input);
    Wipe wipe_plaintext(plaintext);
    std::string ciphertext = encrypt(plaintext, recipients, options.armor);
    if (options.output.empty()) {
        write_stdout(ciphertext);
    } else {
        write_file_atomic(options.output, ciphertext, 0644);
    }
}

void decrypt_command(const DecryptOptions& options) {
    std::vector<Identity> identities;
    for (const std::string& path : options.identity_files) {
        std::string text = read_input_file(path, max_key_file_bytes, "identity file");
        Wipe wipe_text(text);
        for (const Identity& identity : parse_identity_file(text, path)) identities.push_back(identity);
    }
    std::string ciphertext = read_input(options.input);
    std::string origin = options.input.empty() || options.input == "-" ? "standard input" : options.input;
    std::string plaintext = decrypt(ciphertext, identities, origin);
    Wipe wipe_plaintext(plaintext);
    if (options.output.empty()) {
        write_stdout(plaintext);
    } else {
        write_file_atomic(options.output, plaintext, 0600);
    }
}

} // namespace

void add_secret_command(CLI::App& app) {
    auto* secret = app.add_subcommand("secret", "Encrypt secrets for images (age v1 format, X25519 keys)");
    secret->require_subcommand(1);

    auto keygen_options = std::make_shared<KeygenOptions>();
    auto* keygen_cmd = secret->add_subcommand("keygen", "Make an identity (secret key); like age-keygen");
    keygen_cmd->add_option("-o,--output", keygen_options->output, "Write the identity to a new file (mode 0600)");
    keygen_cmd->callback([keygen_options] { keygen(*keygen_options); });

    auto encrypt_options = std::make_shared<EncryptOptions>();
    auto* encrypt_cmd = secret->add_subcommand("encrypt", "Encrypt FILE (or standard input) to recipients");
    encrypt_cmd->add_option("-r,--recipient", encrypt_options->recipients, "Recipient (age1...); repeatable")
        ->allow_extra_args(false); // one value per -r, so FILE stays positional
    encrypt_cmd->add_option("-R,--recipients-file", encrypt_options->recipient_files,
                            "File of recipients, one a line; repeatable")
        ->allow_extra_args(false);
    encrypt_cmd->add_flag("-a,--armor", encrypt_options->armor, "Write PEM-armored text instead of binary");
    encrypt_cmd->add_option("-o,--output", encrypt_options->output, "Output file (default: standard output)");
    encrypt_cmd->add_option("FILE", encrypt_options->input, "Input file (default: standard input)");
    encrypt_cmd->callback([encrypt_options] { encrypt_command(*encrypt_options); });

    auto decrypt_options = std::make_shared<DecryptOptions>();
    auto* decrypt_cmd = secret->add_subcommand("decrypt", "Decrypt an age file with identities");
    decrypt_cmd->add_option("-i,--identity", decrypt_options->identity_files, "Identity file; repeatable")
        ->required()
        ->allow_extra_args(false);
    decrypt_cmd->add_option("-o,--output", decrypt_options->output,
                            "Output file, written only if the whole file authenticates (mode 0600)");
    decrypt_cmd->add_option("FILE", decrypt_options->input, "Input file (default: standard input)");
    decrypt_cmd->callback([decrypt_options] { decrypt_command(*decrypt_options); });
}

} // namespace lethe::secret
