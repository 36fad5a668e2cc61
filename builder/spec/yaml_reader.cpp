#include "spec/yaml_reader.hpp"

#include "spec/yaml_structure.hpp"
#include "util/did_you_mean.hpp"
#include "util/error.hpp"
#include "util/input_file.hpp"
#include "util/size.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

namespace lethe::spec {
namespace {

// Linux's limits (<linux/limits.h>).
constexpr size_t name_max = 255;  // bytes in a file name
constexpr size_t path_max = 4096; // bytes in a path, with its terminating NUL

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string describe(const Document& doc, const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar:
        return doc.quotes() ? "'" + node.Scalar() + "'" : "a string";
    default: return "an undefined value";
    }
}

std::string join_quoted(const std::vector<std::string>& words) {
    std::string out;
    for (size_t i = 0; i < words.size(); ++i)
        out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + ("'" + words[i] + "'");
    return out;
}

// A NUL would cut a path short where the C library reads it; a line break
// would start a new line of init.conf. Neither is quoted back.
void check_path_bytes(const Document& doc, const YAML::Node& node, const std::string& path) {
    for (size_t i = 0; i < path.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(path[i]);
        if (c < 0x20 || c == 0x7f)
            doc.fail_at(
                node,
                fmt::format("this path holds a control character (byte 0x{:02x} at offset {}): "
                            "paths must be printable",
                            c, i));
    }
}

const YAML::Node& scalar(const Document& doc, const YAML::Node& node, const char* expected) {
    if (!node.IsScalar())
        doc.fail_at(node, fmt::format("expected {}, got {}", expected, describe(doc, node)));
    return node;
}

} // namespace

std::string to_string(const Origin& origin) {
    return fmt::format("{}:{}:{}", origin.file, origin.line, origin.column);
}

Document Document::load(const std::string& display_path, const char* kind, Quoting quoting) {
    return parse(read_input_file(display_path, max_spec_file_bytes, kind), display_path, quoting);
}

Document Document::parse(const std::string& text, const std::string& display_path,
                         Quoting quoting) {
    Document doc;
    doc.path_ = display_path;
    doc.lines_ = split_lines(text);
    doc.quoting_ = quoting;
    try {
        check_yaml_structure(text);
        doc.root_ = YAML::Load(text);
    } catch (const YamlProblem& e) {
        doc.fail_at(e.mark(), doc.quotes() ? e.problem() + e.detail() : e.problem());
    } catch (const YAML::Exception& e) {
        doc.fail_at(e.mark, doc.quotes() ? e.msg : "not valid YAML");
    }
    return doc;
}

Origin Document::origin(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    return Origin{path_, mark.line + 1, mark.column + 1};
}

void Document::fail_at(const YAML::Mark& mark, const std::string& message) const {
    if (mark.is_null() || mark.line < 0) fail_input("{}: {}", path_, message);
    std::string where = fmt::format("{}:{}:{}: {}", path_, mark.line + 1, mark.column + 1, message);
    if (quotes() && static_cast<size_t>(mark.line) < lines_.size()) {
        const std::string& line = lines_[static_cast<size_t>(mark.line)];
        where += fmt::format("\n  {}\n  {}^", line, std::string(static_cast<size_t>(mark.column), ' '));
    }
    fail_input("{}", where);
}

MapReader::MapReader(const Document& doc, const YAML::Node& node, const std::string& what,
                     const std::vector<std::string>& keys)
    : doc_(doc), node_(node), what_(what) {
    if (!node.IsMap())
        doc.fail_at(node,
                    fmt::format("expected {} (a mapping), got {}", what, describe(doc, node)));
    for (const auto& entry : node) {
        const YAML::Node& key = entry.first;
        if (!key.IsScalar()) doc.fail_at(key, fmt::format("expected a key of {}", what));
        if (std::find(keys.begin(), keys.end(), key.Scalar()) == keys.end())
            doc.fail_at(key, fmt::format("unknown key '{}' in {}{}", key.Scalar(), what,
                                         did_you_mean(key.Scalar(), keys)));
    }
}

YAML::Node MapReader::required(const char* key) const {
    YAML::Node value = node_[key];
    if (!value) doc_.fail_at(node_, fmt::format("{} needs the key '{}'", what_, key));
    return value;
}

std::string read_string(const Document& doc, const YAML::Node& node, const char* expected) {
    return scalar(doc, node, expected).Scalar();
}

std::string read_line(const Document& doc, const YAML::Node& node, const char* expected) {
    std::string text = read_string(doc, node, expected);
    if (std::any_of(text.begin(), text.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
        doc.fail_at(node,
                    fmt::format("expected {} on one line, without control characters", expected));
    return text;
}

void check_no_repeats(const Document& doc, const YAML::Node& list,
                      const std::vector<std::string>& items) {
    std::map<std::string, size_t> first;
    for (size_t i = 0; i < items.size(); ++i) {
        auto [seen, inserted] = first.emplace(items[i], i);
        if (!inserted)
            doc.fail_at(list[i], fmt::format("'{}' is listed twice (first at {})", items[i],
                                             to_string(doc.origin(list[seen->second]))));
    }
}

uint64_t read_size(const Document& doc, const YAML::Node& node) {
    const std::string& text = scalar(doc, node, "a size").Scalar();
    auto bytes = parse_size(text);
    if (!bytes) doc.fail_at(node, fmt::format("invalid size '{}': expected bytes with an optional K, M, G or T suffix, e.g. 512M", text));
    if (*bytes == 0) doc.fail_at(node, "a size must be larger than 0");
    return *bytes;
}

Size read_partition_size(const Document& doc, const YAML::Node& node) {
    const std::string& text = scalar(doc, node, "a size").Scalar();
    if (text == "auto") return Size{SizeRule::automatic, 0};
    if (text == "rest") return Size{SizeRule::rest, 0};
    if (!parse_size(text))
        doc.fail_at(node, fmt::format("invalid size '{}': expected 'auto', 'rest' or bytes with an optional K, M, G or T suffix", text));
    return Size{SizeRule::fixed, read_size(doc, node)};
}

uint32_t read_mode(const Document& doc, const YAML::Node& node) {
    const std::string& text = scalar(doc, node, "a mode").Scalar();
    bool octal = !text.empty() && text.size() <= 4 &&
                 std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
    if (!octal) doc.fail_at(node, fmt::format("invalid mode '{}': expected octal digits in quotes, e.g. \"0755\"", text));
    return static_cast<uint32_t>(std::stoul(text, nullptr, 8));
}

int read_int(const Document& doc, const YAML::Node& node, int min, int max) {
    const std::string& text = scalar(doc, node, "a number").Scalar();
    int value = 0;
    try {
        size_t used = 0;
        value = std::stoi(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
    } catch (const std::exception&) {
        doc.fail_at(node, fmt::format("expected a whole number, got '{}'", text));
    }
    if (value < min || value > max) doc.fail_at(node, fmt::format("{} is out of range: expected {} to {}", value, min, max));
    return value;
}

bool read_bool(const Document& doc, const YAML::Node& node) {
    const std::string& text = scalar(doc, node, "true or false").Scalar();
    if (text == "true" || text == "yes") return true;
    if (text == "false" || text == "no") return false;
    doc.fail_at(node, fmt::format("expected true or false, got '{}'", text));
}

std::vector<std::string> read_string_list(const Document& doc, const YAML::Node& node, const char* expected) {
    if (!node.IsSequence())
        doc.fail_at(node,
                    fmt::format("expected a list of {}, got {}", expected, describe(doc, node)));
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(read_string(doc, item, expected));
    return out;
}

std::string read_choice(const Document& doc, const YAML::Node& node, const std::vector<std::string>& choices) {
    std::string text = read_string(doc, node, "a word");
    if (std::find(choices.begin(), choices.end(), text) == choices.end())
        doc.fail_at(node, fmt::format("unknown value '{}': expected {}{}", text, join_quoted(choices),
                                      did_you_mean(text, choices)));
    return text;
}

std::string resolve_relative(const std::string& file, const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    return (std::filesystem::path(file).parent_path() / path).lexically_normal().string();
}

std::string read_absolute_path(const Document& doc, const YAML::Node& node) {
    std::string text = read_string(doc, node, "an absolute path");
    check_path_bytes(doc, node, text);
    if (text.empty() || text[0] != '/') doc.fail_at(node, fmt::format("'{}' is not an absolute path", text));
    std::string normal;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('/', start);
        if (end == std::string::npos) end = text.size();
        std::string part = text.substr(start, end - start);
        if (part == "..") doc.fail_at(node, fmt::format("'{}' must not contain '..'", text));
        if (part.size() > name_max)
            doc.fail_at(
                node,
                fmt::format("a component of this path is {} bytes; Linux file names are at most {} "
                            "(NAME_MAX)",
                            part.size(), name_max));
        if (!part.empty() && part != ".") normal += "/" + part;
        start = end + 1;
    }
    if (normal.size() >= path_max)
        doc.fail_at(
            node,
            fmt::format("this path is {} bytes; Linux paths are at most {} (PATH_MAX, {} with the "
                        "terminating NUL)",
                        normal.size(), path_max - 1, path_max));
    return normal.empty() ? "/" : normal;
}

} // namespace lethe::spec
