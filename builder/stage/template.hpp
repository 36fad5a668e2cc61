#pragma once
// Filling in lethe's templates (templates/): units, scripts, .network files.

#include <map>
#include <string>

namespace lethe::stage {

// Replaces each @NAME@ of `text` by its value; an @NAME@ left over is an
// internal error, so a template and the builder cannot drift apart quietly.
std::string render_template(const std::string& text, const std::map<std::string, std::string>& values,
                            const std::string& name);

} // namespace lethe::stage
