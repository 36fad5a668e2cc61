#include "initrd/init_config.hpp"

#include "initrd/failure.hpp"

#include <charconv>
#include <functional>
#include <map>
#include <set>

namespace lethe::init {
namespace {

using Fields = std::vector<std::string>;

bool is_octal(char c) { return c >= '0' && c <= '7'; }

unsigned parse_number(const std::string& text, int base, const char* what) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        fail("bad " + std::string(what) + " '" + text + "'");
    return value;
}

// A file mode as render_init_config writes it: at most four octal digits, so
// every mode that parses renders back to the same text (a longer one would
// not fit, and bits above 07777 mean nothing to chmod).
unsigned parse_mode(const std::string& text) {
    if (text.size() > 4) fail("bad mode '" + text + "' (at most four octal digits)");
    return parse_number(text, 8, "mode");
}

int parse_seconds(const std::string& text) {
    unsigned value = parse_number(text, 10, "number of seconds");
    if (value > 86400) fail("too many seconds '" + text + "'");
    return static_cast<int>(value);
}

std::string parse_tag(const std::string& text) {
    auto equals = text.find('=');
    std::string name = text.substr(0, equals);
    if (equals == std::string::npos || equals + 1 == text.size() ||
        (name != "PARTUUID" && name != "PARTLABEL" && name != "UUID" && name != "LABEL"))
        fail("bad partition tag '" + text + "' (expected PARTUUID=, PARTLABEL=, UUID= or LABEL=)");
    return text;
}

std::string parse_path(const std::string& text) {
    if (text.empty() || text[0] != '/') fail("not an absolute path '" + text + "'");
    return text;
}

// A bind mount's flags, comma-separated: the four a bind remount sets.
std::string parse_bind_options(const std::string& text) {
    static const std::set<std::string, std::less<>> known = {"noexec", "nosuid", "nodev", "ro"};
    std::string_view rest = text;
    while (true) {
        size_t comma = rest.find(',');
        std::string_view word = rest.substr(0, comma);
        if (!known.count(word)) fail("bad bind option '" + std::string(word) + "' (noexec, nosuid, nodev or ro)");
        if (comma == std::string_view::npos) return text;
        rest.remove_prefix(comma + 1);
    }
}

struct Directive {
    size_t fields; // after the directive's name
    bool or_more;  // FIELDS is a minimum
    std::function<void(InitConfig&, const Fields&)> apply;
};

const std::map<std::string, Directive, std::less<>>& directives() {
    static const std::map<std::string, Directive, std::less<>> table = {
        {"timeout", {1, false, [](auto& c, auto& f) { c.timeout_seconds = parse_seconds(f[0]); }}},
        {"rescue_delay", {1, false, [](auto& c, auto& f) { c.rescue_delay_seconds = parse_seconds(f[0]); }}},
        {"rescue", {1, false, [](auto& c, auto& f) { c.rescue = parse_path(f[0]); }}},
        {"module", {1, false, [](auto& c, auto& f) { c.modules.push_back(parse_path(f[0])); }}},
        {"module_if", {2, true, [](auto& c, auto& f) {
                           c.device_modules.push_back({parse_path(f[0]), Fields(f.begin() + 1, f.end())});
                       }}},
        {"root_tmpfs", {1, false, [](auto& c, auto& f) { c.root_tmpfs_options = f[0]; }}},
        {"usr", {2, false, [](auto& c, auto& f) { c.usr = {parse_tag(f[0]), f[1]}; }}},
        {"usr_verity", {2, false, [](auto& c, auto& f) {
                            c.usr.fstype = f[0];
                            c.usr_verity = parse_on_corruption(f[1]);
                        }}},
        {"persist", {3, false, [](auto& c, auto& f) {
                         c.persist = {parse_tag(f[0]), f[1]};
                         c.persist_mount = parse_path(f[2]);
                     }}},
        {"grow_persist", {0, false, [](auto& c, auto&) { c.grow_persist = true; }}},
        {"fsck", {1, false, [](auto& c, auto& f) { c.fsck = parse_path(f[0]); }}},
        {"link", {2, false, [](auto& c, auto& f) { c.links.push_back({f[0], f[1]}); }}},
        {"factory", {2, false, [](auto& c, auto& f) {
                         c.factories.push_back({parse_path(f[0]), parse_path(f[1])});
                     }}},
        {"mkdir", {2, false, [](auto& c, auto& f) {
                       c.directories.push_back({parse_path(f[0]), parse_mode(f[1])});
                   }}},
        {"bind", {5, true, [](auto& c, auto& f) {
                      if (f[0] != "dir" && f[0] != "file") fail("bad bind kind '" + f[0] + "' (dir or file)");
                      if (f.size() > 6) fail("'bind' takes at most 6 fields, got " + std::to_string(f.size()));
                      c.binds.push_back({parse_path(f[1]), f[0] == "dir", parse_number(f[2], 10, "uid"),
                                         parse_number(f[3], 10, "gid"), parse_mode(f[4]),
                                         f.size() == 6 ? parse_bind_options(f[5]) : std::string()});
                  }}},
        {"init", {1, false, [](auto& c, auto& f) { c.init = parse_path(f[0]); }}},
    };
    return table;
}

void parse_line(InitConfig& config, std::string_view line) {
    Fields fields = split_fields(line);
    if (fields.empty()) return;
    auto found = directives().find(fields[0]);
    if (found == directives().end()) fail("unknown directive '" + fields[0] + "'");
    const Directive& directive = found->second;
    size_t given = fields.size() - 1;
    if (given != directive.fields && !(directive.or_more && given > directive.fields))
        fail("'" + fields[0] + "' takes " + std::string(directive.or_more ? "at least " : "") +
             std::to_string(directive.fields) + " field(s), not " + std::to_string(given));
    directive.apply(config, Fields(fields.begin() + 1, fields.end()));
}

void check_complete(const InitConfig& config) {
    if (config.root_tmpfs_options.empty()) fail("init.conf: missing 'root_tmpfs'");
    if (config.usr.tag.empty() && !config.usr_verity) fail("init.conf: missing 'usr' (or 'usr_verity')");
    if (!config.usr.tag.empty() && config.usr_verity)
        fail("init.conf: 'usr' and 'usr_verity' exclude each other: /usr is one partition or a verity device");
    if (config.persist.tag.empty()) fail("init.conf: missing 'persist'");
}

std::string octal(unsigned value, int digits) {
    std::string out(digits, '0');
    for (int i = digits - 1; i >= 0 && value; --i, value /= 8) out[i] = static_cast<char>('0' + value % 8);
    return out;
}

// One line: the directive and its fields, each escaped.
struct Line {
    std::string text;
    explicit Line(const char* directive) : text(directive) {}
    Line& operator<<(std::string_view field) {
        text += ' ';
        text += escape_field(field);
        return *this;
    }
    Line& operator<<(unsigned number) { return *this << std::string_view(std::to_string(number)); }
    Line& mode(unsigned mode) { return *this << std::string_view(octal(mode, 4)); }
};

} // namespace

const std::vector<std::string>& on_corruption_names() {
    static const std::vector<std::string> names = {"eio", "restart", "panic"};
    return names;
}

OnCorruption parse_on_corruption(std::string_view word) {
    const auto& names = on_corruption_names();
    for (size_t i = 0; i < names.size(); ++i)
        if (word == names[i]) return static_cast<OnCorruption>(i);
    fail("unknown verity on-corruption mode '" + std::string(word) + "' (eio, restart or panic)");
}

const char* to_string(OnCorruption mode) { return on_corruption_names().at(static_cast<size_t>(mode)).c_str(); }

std::string escape_field(std::string_view field) {
    std::string out;
    for (unsigned char c : field) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\\' || c == '#') out += "\\" + octal(c, 3);
        else out += static_cast<char>(c);
    }
    return out;
}

std::string render_init_config(const InitConfig& c) {
    std::vector<Line> lines;
    auto add = [&lines](const char* directive) -> Line& { return lines.emplace_back(directive); };
    add("timeout") << unsigned(c.timeout_seconds);
    add("rescue_delay") << unsigned(c.rescue_delay_seconds);
    if (!c.rescue.empty()) add("rescue") << c.rescue;
    for (const auto& module : c.modules) add("module") << module;
    for (const auto& module : c.device_modules) {
        Line& line = add("module_if") << module.path;
        for (const auto& pattern : module.patterns) line << pattern;
    }
    add("root_tmpfs") << c.root_tmpfs_options;
    if (c.usr_verity) add("usr_verity") << c.usr.fstype << std::string_view(to_string(*c.usr_verity));
    else add("usr") << c.usr.tag << c.usr.fstype;
    add("persist") << c.persist.tag << c.persist.fstype << c.persist_mount;
    if (c.grow_persist) add("grow_persist");
    if (!c.fsck.empty()) add("fsck") << c.fsck;
    for (const auto& link : c.links) add("link") << link.name << link.target;
    for (const auto& factory : c.factories) add("factory") << factory.source << factory.destination;
    for (const auto& dir : c.directories) (add("mkdir") << dir.path).mode(dir.mode);
    for (const auto& b : c.binds) {
        auto& line = (add("bind") << std::string_view(b.directory ? "dir" : "file") << b.path << b.uid << b.gid).mode(b.mode);
        if (!b.options.empty()) line << b.options;
    }
    add("init") << c.init;
    std::string out = "# lethe-init configuration, written by lethe build: see initrd/README.md\n";
    for (const auto& line : lines) out += line.text + "\n";
    return out;
}

std::string unescape_field(std::string_view field) {
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] != '\\') {
            out += field[i];
            continue;
        }
        // Exactly three octal digits, at most \377, as the builder writes them.
        bool valid = i + 3 < field.size() && is_octal(field[i + 1]) && is_octal(field[i + 2]) &&
                     is_octal(field[i + 3]) && field[i + 1] <= '3';
        if (!valid) fail("bad escape in '" + std::string(field) + "'");
        int value = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
        out += static_cast<char>(value);
        i += 3;
    }
    return out;
}

std::vector<std::string> split_fields(std::string_view line) {
    std::vector<std::string> fields;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i >= line.size() || line[i] == '#') break; // comments: the builder escapes a literal '#'
        size_t end = line.find_first_of(" \t", i);
        if (end == std::string_view::npos) end = line.size();
        fields.push_back(unescape_field(line.substr(i, end - i)));
        i = end;
    }
    return fields;
}

InitConfig parse_init_config(std::string_view text) {
    InitConfig config;
    size_t number = 0;
    while (!text.empty()) {
        ++number;
        size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        try {
            parse_line(config, line);
        } catch (const Failure& error) {
            fail("init.conf:" + std::to_string(number) + ": " + error.what());
        }
    }
    check_complete(config);
    return config;
}

} // namespace lethe::init
