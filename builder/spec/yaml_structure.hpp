#pragma once
// What yaml-cpp accepts silently, refused before a tree is built from the
// text: a key given twice in a mapping (yaml-cpp keeps both, and lookups find
// the first), a second document (YAML::Load reads only the first), deep
// nesting (yaml-cpp recurses once per level, and says only "bad file" at its
// own limit), and an alias inside the node its anchor names (a cycle).

#include <stdexcept>
#include <string>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace lethe::spec {

// Recipes and layouts nest six levels deep; mappings and lists beyond this
// are refused.
inline constexpr size_t max_yaml_depth = 64;

// A problem and where it is. `what` says it without quoting the text, so it
// can be shown for a file that may not be lethe's; `detail` adds what the
// text says there (" 'size' (first at line 3, column 5)").
class YamlProblem : public std::runtime_error {
  public:
    YamlProblem(const YAML::Mark& mark, const std::string& what, const std::string& detail)
        : std::runtime_error(what + detail), mark_(mark), what_(what), detail_(detail) {}
    const YAML::Mark& mark() const { return mark_; }
    const std::string& problem() const { return what_; }
    const std::string& detail() const { return detail_; }

  private:
    YAML::Mark mark_;
    std::string what_, detail_;
};

// Throws YamlProblem for the above and for YAML syntax errors.
void check_yaml_structure(const std::string& text);

} // namespace lethe::spec
