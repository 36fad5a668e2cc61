#include "spec/yaml_structure.hpp"

#include <fmt/format.h>
#include <map>
#include <set>
#include <sstream>
#include <vector>

namespace lethe::spec {
namespace {

std::string at(const YAML::Mark& mark) {
    return fmt::format("line {}, column {}", mark.line + 1, mark.column + 1);
}

// Follows the parser's events with a stack of open mappings and lists, so
// nothing here recurses however deep the text nests.
class StructureCheck : public YAML::EventHandler {
  public:
    void OnDocumentStart(const YAML::Mark& mark) override {
        if (++documents_ > 1)
            throw YamlProblem(mark, "a second YAML document: a recipe or layout is one document",
                              "");
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { leaf(mark, nullptr); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (open_anchors_.count(anchor))
            throw YamlProblem(mark, "an alias inside the node its anchor names (a cycle)", "");
        leaf(mark, nullptr);
    }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  const std::string& value) override {
        leaf(mark, &value);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, false, anchor);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, true, anchor);
    }
    void OnMapEnd() override { close(); }

  private:
    struct Level {
        bool map;
        YAML::anchor_t anchor;
        bool at_key = true; // in a mapping: the next node is a key
        std::map<std::string, YAML::Mark> keys;
    };

    // A node starts: in a mapping, a scalar key must be new.
    void start(const YAML::Mark& mark, const std::string* scalar) {
        if (levels_.empty() || !levels_.back().map || !levels_.back().at_key || !scalar) return;
        auto [first, inserted] = levels_.back().keys.emplace(*scalar, mark);
        if (!inserted)
            throw YamlProblem(mark, "duplicate key",
                              fmt::format(" '{}' (first at {})", *scalar, at(first->second)));
    }
    // A node ends: in a mapping, a key is followed by its value, a value by a key.
    void finish() {
        if (!levels_.empty() && levels_.back().map) levels_.back().at_key = !levels_.back().at_key;
    }
    void leaf(const YAML::Mark& mark, const std::string* scalar) {
        start(mark, scalar);
        finish();
    }
    void open(const YAML::Mark& mark, bool map, YAML::anchor_t anchor) {
        start(mark, nullptr);
        if (levels_.size() >= max_yaml_depth)
            throw YamlProblem(
                mark,
                fmt::format(
                    "nested too deeply: lethe reads at most {} levels of mappings and lists",
                    max_yaml_depth),
                "");
        levels_.push_back(Level{map, anchor, true, {}});
        if (anchor) open_anchors_.insert(anchor);
    }
    void close() {
        open_anchors_.erase(levels_.back().anchor);
        levels_.pop_back();
        finish();
    }

    int documents_ = 0;
    std::vector<Level> levels_;
    std::set<YAML::anchor_t> open_anchors_;
};

} // namespace

void check_yaml_structure(const std::string& text) {
    std::istringstream in(text);
    StructureCheck check;
    try {
        YAML::Parser parser(in);
        while (parser.HandleNextDocument(check)) {
        }
    } catch (const YAML::Exception& e) {
        // yaml-cpp's messages are a fixed text, sometimes followed by ": " and a piece of the
        // input.
        size_t colon = e.msg.find(": ");
        throw YamlProblem(e.mark, e.msg.substr(0, colon),
                          colon == std::string::npos ? "" : e.msg.substr(colon));
    }
}

} // namespace lethe::spec
