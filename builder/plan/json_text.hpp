#pragma once
// JSON text of what lethe prints and writes (the plan, the manifest). JSON
// strings are Unicode; Linux file names are bytes. A string that is not
// valid UTF-8, or that starts with a double quote, is written quoted the way
// Git quotes paths: in double quotes, with \\, \" and \xHH for each byte that
// is not part of a valid UTF-8 sequence ("caf\xe9"). So every name is
// represented without loss, and a reader tells quoted strings by their first
// character.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace lethe::plan {

bool is_valid_utf8(std::string_view text);

// TEXT itself, or its quoted form as above.
std::string json_safe_string(const std::string& text);

// VALUE with every string made safe, indented by two, with a final newline.
std::string json_text(nlohmann::ordered_json value);

} // namespace lethe::plan
