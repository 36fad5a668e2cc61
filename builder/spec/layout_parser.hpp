#pragma once

#include "spec/model.hpp"
#include "spec/yaml_reader.hpp"

namespace lethe::spec {

// A layout as a mapping, from a layout file or inline in a recipe.
Layout parse_layout(const Document& doc, const YAML::Node& node);

} // namespace lethe::spec
