#pragma once
// A layout in a file of its own: named by a recipe's `layout:`, or read
// alone (spec/parse.hpp). `layout:` may name any file on the machine that
// runs lethe, often as root, so until the file looks like a layout, errors
// say what is wrong and where without quoting a line or a value of it.

#include "spec/model.hpp"
#include "spec/yaml_reader.hpp"

namespace lethe::spec {

// The layout file `reference` (a recipe's `layout:` value) names, relative
// to the recipe. A file that cannot be read is reported at `reference`.
Layout load_referenced_layout(const Document& recipe, const YAML::Node& reference);

} // namespace lethe::spec
