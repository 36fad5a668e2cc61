#pragma once
// Reading YAML with errors that point at the spot: every failure names
// file:line:column, shows the line with a caret, says what is wrong and what
// was expected. Unknown keys are refused with a did-you-mean suggestion.

#include "spec/model.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace lethe::spec {

// Whether errors may quote the file: its lines (with a caret) and its values.
// A file that is not known to be a recipe or layout yet (`layout:` may name
// any file) is described, never quoted.
enum class Quoting { lines, none };

class Document {
public:
    // `display_path` is how errors name the file (as the user wrote it);
    // `kind` ("recipe", "layout") names it when it cannot be read.
    static Document load(const std::string& display_path, const char* kind = "recipe",
                         Quoting quoting = Quoting::lines);
    static Document parse(const std::string& text, const std::string& display_path,
                          Quoting quoting = Quoting::lines);

    const YAML::Node& root() const { return root_; }
    const std::string& path() const { return path_; }
    Origin origin(const YAML::Node& node) const;
    bool quotes() const { return quoting_ == Quoting::lines; }
    // Once the file is known to be what it should be, errors may quote it.
    void allow_quoting() { quoting_ = Quoting::lines; }

    [[noreturn]] void fail_at(const YAML::Mark& mark, const std::string& message) const;
    [[noreturn]] void fail_at(const YAML::Node& node, const std::string& message) const {
        fail_at(node.Mark(), message);
    }

private:
    std::string path_;
    std::vector<std::string> lines_;
    YAML::Node root_;
    Quoting quoting_ = Quoting::lines;
};

// A part of a recipe that a feature reads on its own: the node and its
// document, so its errors still point at file:line:column.
struct Section {
    std::shared_ptr<const Document> doc;
    YAML::Node node;
};

// A YAML mapping whose keys must all be among `allowed`.
class MapReader {
public:
    MapReader(const Document& doc, const YAML::Node& node, const std::string& what,
              std::initializer_list<const char*> allowed)
        : MapReader(doc, node, what, std::vector<std::string>(allowed.begin(), allowed.end())) {}
    MapReader(const Document& doc, const YAML::Node& node, const std::string& what,
              const std::vector<std::string>& allowed);

    bool has(const char* key) const { return static_cast<bool>(node_[key]); }
    YAML::Node get(const char* key) const { return node_[key]; }
    YAML::Node required(const char* key) const;
    const YAML::Node& node() const { return node_; }

private:
    const Document& doc_;
    YAML::Node node_;
    std::string what_;
};

std::string read_string(const Document& doc, const YAML::Node& node, const char* expected);
// A string without control characters: one line, as a tool's argument or a
// line of a generated file takes it.
std::string read_line(const Document& doc, const YAML::Node& node, const char* expected);
uint64_t read_size(const Document& doc, const YAML::Node& node);       // 512M, 2G, 1048576
Size read_partition_size(const Document& doc, const YAML::Node& node); // a size, auto or rest
uint32_t read_mode(const Document& doc, const YAML::Node& node);       // "0755" (octal)
int read_int(const Document& doc, const YAML::Node& node, int min, int max);
bool read_bool(const Document& doc, const YAML::Node& node);
std::vector<std::string> read_string_list(const Document& doc, const YAML::Node& node,
                                          const char* expected);
// Refuses an item of `list` (its strings `items`) that an earlier one repeats.
void check_no_repeats(const Document& doc, const YAML::Node& list,
                      const std::vector<std::string>& items);
// A string that must be one of `choices`.
std::string read_choice(const Document& doc, const YAML::Node& node,
                        const std::vector<std::string>& choices);
// A path as written in `file`: relative ones are taken from the file's own
// folder, so a recipe builds the same from any working directory.
std::string resolve_relative(const std::string& file, const std::string& path);

// An absolute path, normalised ("/var//lib/" -> "/var/lib"); refuses "..",
// control characters (a NUL would cut the path short, a newline a line of
// init.conf), components longer than NAME_MAX and paths longer than PATH_MAX.
std::string read_absolute_path(const Document& doc, const YAML::Node& node);

} // namespace lethe::spec
