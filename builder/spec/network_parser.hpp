#pragma once
// The recipe's `network:` and `hetzner:` mappings (docs/recipes.md).

#include "spec/model.hpp"
#include "spec/yaml_reader.hpp"

namespace lethe::spec {

Network parse_network(const Document& doc, const YAML::Node& node);

// `layout` is the recipe's, already read: the SSH keys the metadata service
// hands out must land on a persisted path, or they vanish at the next boot.
Hetzner parse_hetzner(const Document& doc, const YAML::Node& node, const Layout& layout);

// Whether a persisted directory of `layout` holds `path` (it or a parent).
bool persists_directory(const Layout& layout, const std::string& path);

} // namespace lethe::spec
