#pragma once
// The one list of optional image features. The recipe parser and the build
// name none of them: they ask this registry. Adding a feature is a folder
// under builder/features/ and one line in registry.cpp (docs/ARCHITECTURE.md).

#include "features/feature.hpp"
#include "plan/plan.hpp"
#include "spec/model.hpp"

#include <string>
#include <vector>

namespace lethe::features {

// The recipe keys the features read, in registry order.
std::vector<std::string> recipe_keys();

// The features a recipe turns on, each planned from its section, in registry order.
Features plan_features(const spec::Recipe& recipe);

// A recipe read with every feature's key, and its plan with every feature's share.
spec::Recipe load_recipe(const std::string& path);
spec::Recipe parse_recipe(const std::string& text, const std::string& path);
plan::Plan make_plan(const spec::Recipe& recipe);

} // namespace lethe::features
