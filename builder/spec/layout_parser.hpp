#pragma once

#include "spec/model.hpp"
#include "spec/yaml_reader.hpp"

namespace lethe::spec {

// A layout as a mapping, from a layout file or inline in a recipe.
Layout parse_layout(const Document& doc, const YAML::Node& node);

// Whether `root` is a mapping of layout keys (or of typos of them): a file
// `layout:` names is quoted in errors only once it looks like a layout.
bool looks_like_layout(const YAML::Node& root);

} // namespace lethe::spec
