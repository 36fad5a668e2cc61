#pragma once

#include "spec/model.hpp"

#include <string>
#include <vector>

namespace lethe::spec {

// Reads and checks a recipe and the layout it names. Throws lethe::Error
// (exit status 2) pointing at file:line:column for any mistake. The keys of
// `feature_keys` are kept unread in Recipe::sections for the features
// (builder/features/registry.hpp loads recipes with all of them).
Recipe load_recipe(const std::string& path, const std::vector<std::string>& feature_keys = {});
Recipe parse_recipe(const std::string& text, const std::string& path, const std::vector<std::string>& feature_keys = {});

// Whether a persisted directory of `layout` holds `path` (it or a parent).
bool persists_directory(const Layout& layout, const std::string& path);

// Reads and checks a layout file on its own (spec/layout_file.cpp).
Layout load_layout(const std::string& path);
// The same from the text of a layout file; `path` names it in errors.
Layout parse_layout_file(const std::string& text, const std::string& path);

} // namespace lethe::spec
