// The recipe's `audit:` (builder/features/audit): every execve audited, the
// rules file, where it and the log live, and what the rootfs must have.

#include "features/audit/audit_rules.hpp"
#include "test_support.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace lethe;
namespace fs = std::filesystem;

namespace {

audit::Audit parse(const std::string& section) {
    spec::Document doc = spec::Document::parse("audit:\n" + section, "r.yaml");
    return audit::parse_audit(doc, doc.root()["audit"]);
}

spec::Layout layout_persisting(const std::vector<std::string>& directories) {
    spec::Layout layout;
    for (const auto& path : directories)
        layout.persistence.directories.push_back({path, {}, {}, {}, {}, {}});
    return layout;
}

} // namespace

TEST_CASE("audit: exec is off unless asked for", "[audit]") {
    CHECK_FALSE(parse("  {}\n").exec);
    CHECK(parse("  exec: true\n").exec);
    CHECK(audit::render_audit_rules(parse("  exec: false\n")).empty());
    CHECK(audit::staging(parse("  {}\n")).files.empty());
    try {
        parse("  exe: true\n");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Catch::StartsWith(
                                 "r.yaml:2:3: unknown key 'exe' in audit (did you mean 'exec'?)"));
    }
}

TEST_CASE("audit: the seed's rule, for both architectures", "[audit]") {
    CHECK(audit::render_audit_rules(parse("  exec: true\n")) ==
          "## Rendered by lethe from the recipe's audit: {exec: true}: a record of every\n"
          "## program run on this machine (`ausearch -k lethe-exec`). augenrules, run by\n"
          "## auditd.service, merges this file with the others here at every boot.\n"
          "-a exit,always -F arch=b64 -S execve -S execveat -k lethe-exec\n"
          "-a exit,always -F arch=b32 -S execve -S execveat -k lethe-exec\n");
    features::Staging staged = audit::staging(parse("  exec: true\n"));
    REQUIRE(staged.files.size() == 1);
    // In the factory /etc: restored from the image at every boot.
    CHECK(staged.files[0].path == "/etc/audit/rules.d/50-lethe-exec.rules");
    CHECK(staged.files[0].mode == 0640);
    CHECK(staged.enable == std::vector<std::string>{"auditd.service"});
}

TEST_CASE("audit: /var/log/audit is persisted unless the layout covers it", "[audit]") {
    audit::Audit on = parse("  exec: true\n");
    CHECK(audit::persisted_paths(on, layout_persisting({"/var/log", "/etc/ssh"})).empty());
    CHECK(audit::persisted_paths(on, layout_persisting({"/var/log/audit"})).empty());
    std::vector<plan::PersistEntry> added =
        audit::persisted_paths(on, layout_persisting({"/var/lib"}));
    REQUIRE(added.size() == 1);
    CHECK(added[0].path == "/var/log/audit");
    CHECK(added[0].directory);
    CHECK(added[0].group == std::optional<std::string>("adm"));
    CHECK(added[0].mode == std::optional<uint32_t>(0750));
    CHECK(audit::persisted_paths(parse("  {}\n"), layout_persisting({})).empty());
}

TEST_CASE("audit: the rootfs must have auditd", "[audit]") {
    test::TempDir tree;
    CHECK(audit::check_rootfs(tree.path) ==
          "the recipe has 'audit:' but the rootfs has no executable /usr/sbin/auditd or "
          "/sbin/auditd: add "
          "the Debian package auditd to the rootfs, or remove 'audit:'");
    // Debian 12's auditd installs into /sbin, a link to usr/sbin in a merged /usr.
    fs::create_symlink("usr/sbin", tree.path / "sbin");
    for (const char* program : {"usr/sbin/auditd", "usr/sbin/augenrules"}) {
        test::write(tree.path / program, "#!/bin/sh\n");
        fs::permissions(tree.path / program, fs::perms(0755));
    }
    CHECK_THAT(audit::check_rootfs(tree.path),
               Catch::Contains("no /usr/lib/systemd/system/auditd.service"));
    test::write(tree.path / "usr/lib/systemd/system/auditd.service",
                "[Service]\nExecStart=/sbin/auditd\n");
    CHECK(audit::check_rootfs(tree.path).empty());
}
