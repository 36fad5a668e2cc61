// age's strict armor, as armor/armor.go reads it, and secrets kept out of
// error messages.

#include "secret/age.hpp"
#include "secret/armor.hpp"
#include "secret/command.hpp"
#include "secret/keys.hpp"
#include "test_checks.hpp"
#include "test_support.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

using namespace lethe;
using namespace lethe::secret;

namespace {

std::string armor_error(const std::string& text) {
    return test::input_error([&] { dearmor(text, "f.age"); });
}

std::string bytes(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i)
        out += static_cast<char>(i * 7 + 3);
    return out;
}

const std::string end_line = "-----END AGE ENCRYPTED FILE-----";

} // namespace

TEST_CASE("armor: what age accepts", "[secret][armor]") {
    for (size_t size : {0, 1, 47, 48, 49, 96, 100}) {
        std::string text = armor(bytes(size));
        CHECK(dearmor(text, "") == bytes(size));
        // CRLF line ends, no final line end, blank lines before and blanks after.
        std::string crlf;
        for (char c : text)
            crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
        CHECK(dearmor(crlf, "") == bytes(size));
        CHECK(dearmor(text.substr(0, text.size() - 1), "") == bytes(size));
        CHECK(dearmor("\n \t\r\n\n" + text + " \n\t\n", "") == bytes(size));
    }
}

TEST_CASE("armor: a blank line before the END line is refused, whatever comes before it",
          "[secret][armor]") {
    // 100 bytes: two full lines and a short one; 96: two full lines and no short one.
    CHECK(armor_error(test::replace(armor(bytes(100)), end_line, "\n" + end_line)) ==
          "f.age: invalid armor: a short line (under 48 bytes) is not followed by " + end_line);
    CHECK(armor_error(test::replace(armor(bytes(96)), end_line, "\n" + end_line)) ==
          "f.age: invalid armor: an empty line inside the armor");
    CHECK(armor_error(test::replace(armor(bytes(96)), end_line, "  \n" + end_line)) ==
          "f.age: invalid armor: a line is not canonical base64");
    CHECK(armor_error(test::replace(armor(bytes(100)), "-----\n", "-----\n\n")) ==
          "f.age: invalid armor: an empty line inside the armor");
}

TEST_CASE("armor: every other deviation from the canonical form is refused", "[secret][armor]") {
    std::string text = armor(bytes(100));
    std::string first = text.substr(35, 64);
    CHECK_THAT(armor_error("  " + text), Catch::Contains("the first line is not"));
    CHECK_THAT(armor_error(test::replace(text, "BEGIN AGE", "BEGIN age")),
               Catch::Contains("the first line is not"));
    CHECK_THAT(armor_error(test::replace(text, "-----\n", "----- \n")),
               Catch::Contains("the first line is not"));
    CHECK_THAT(armor_error(test::replace(text, first, " " + first.substr(1))),
               Catch::Contains("not canonical base64"));
    CHECK_THAT(armor_error(test::replace(text, first, first + " ")),
               Catch::Contains("longer than 64 columns"));
    CHECK_THAT(armor_error(test::replace(text, first + "\n",
                                         first.substr(0, 60) + "\n" + first.substr(60) + "\n")),
               Catch::Contains("not followed by"));
    CHECK_THAT(armor_error(test::replace(text, first, first.substr(0, 63))),
               Catch::Contains("not canonical base64"));
    // Padding is only for the last line, and must be there.
    CHECK_THAT(armor_error(test::replace(text, "==\n", "\n")),
               Catch::Contains("not canonical base64"));
    CHECK_THAT(armor_error(test::replace(text, "==\n", "=\n=\n")),
               Catch::Contains("not canonical base64"));
    CHECK_THAT(armor_error(text + "x"), Catch::Contains("data after the end line"));
    CHECK_THAT(armor_error(text + text), Catch::Contains("data after the end line"));
    CHECK_THAT(armor_error(text.substr(0, text.find(end_line))), Catch::Contains("truncated"));
    CHECK_THAT(armor_error(std::string(1025, '\n') + text),
               Catch::Contains("more than 1024 bytes of whitespace"));
    CHECK_THAT(armor_error(text + std::string(1024, ' ')),
               Catch::Contains("whitespace after the armor"));
    CHECK_NOTHROW(dearmor(std::string(1000, '\n') + text + std::string(1000, ' '), ""));
}

TEST_CASE("keys: an identity given as a recipient is never printed", "[secret][keys]") {
    auto [identity, recipient] = generate_identity();
    std::string lower = identity;
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string mangled =
        identity.substr(0, identity.size() - 1) + (identity.back() == 'Q' ? "P" : "Q");
    for (const std::string& text :
         {identity, lower, mangled, "  " + identity, identity.substr(0, 40)}) {
        std::string message = test::input_error([&] { parse_recipient(text); });
        CHECK_THAT(message,
                   Catch::StartsWith(
                       "an identity (a secret key) was given where a recipient is expected"));
        CHECK_THAT(message, !Catch::Contains(identity.substr(16, 20)) &&
                                !Catch::Contains(lower.substr(16, 20)));
    }
    // A file of identities given as recipients (-R): the same, with its line.
    std::string file = "# created: now\n# public key: " + recipient + "\n" + identity + "\n";
    std::string message = test::input_error([&] { parse_recipients_file(file, "key.txt"); });
    CHECK_THAT(message, Catch::StartsWith("key.txt:3: an identity (a secret key)"));
    CHECK_THAT(message, !Catch::Contains(identity.substr(16, 20)));
    // Something else is quoted only when it tries to be a recipient.
    CHECK(test::input_error([] { parse_recipient("hunter2"); }) ==
          "malformed recipient: expected an age X25519 recipient, 'age1' and 58 more characters");
    CHECK_THAT(test::input_error([&] { parse_recipient(recipient + "x"); }),
               Catch::StartsWith("malformed recipient 'age1"));
}

TEST_CASE("keys: `lethe secret encrypt -r IDENTITY` and identity files that are not files",
          "[secret][keys]") {
    test::TempDir tmp;
    auto [identity, recipient] = generate_identity();
    test::write(tmp.path / "plain", "x");
    test::write(tmp.path / "key.txt", identity + "\n");
    auto run = [&](std::vector<std::string> args) {
        CLI::App app;
        add_secret_command(app);
        std::reverse(args.begin(), args.end());
        app.parse(args);
    };
    std::string out = (tmp.path / "out.age").string(), plain = (tmp.path / "plain").string();
    for (const auto& flag : {std::string("-r"), std::string("-R")}) {
        std::string value = flag == "-r" ? identity : (tmp.path / "key.txt").string();
        std::string message = test::input_error([&] {
            run({"secret", "encrypt", flag, value, "-o", out, plain});
        });
        CHECK_THAT(
            message,
            Catch::Contains("an identity (a secret key) was given where a recipient is expected"));
        CHECK_THAT(message, !Catch::Contains(identity.substr(16, 20)));
    }
    CHECK(test::input_error([&] {
              run({"secret", "decrypt", "-i", tmp.path.string(), plain});
          }) == "identity file '" + tmp.path.string() + "' is a directory, not a file");
    CHECK(test::input_error([&] {
              run({"secret", "encrypt", "-R", "/nonexistent", "-o", out, plain});
          }) == "recipients file '/nonexistent' cannot be opened: No such file or directory");
    CHECK(test::input_error([&] {
              run({"secret", "encrypt", "-r", recipient, "-o", out, "/dev/null"});
          }) == "input file '/dev/null' is a character device, not a file");
}
