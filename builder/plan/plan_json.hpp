#pragma once

#include "plan/plan.hpp"

#include <nlohmann/json.hpp>

namespace lethe::plan {

nlohmann::ordered_json to_json(const Plan& plan);

} // namespace lethe::plan
