#include "spec/layout_file.hpp"

#include "spec/layout_parser.hpp"
#include "spec/parse.hpp"
#include "util/error.hpp"
#include "util/input_file.hpp"

namespace lethe::spec {
namespace {

Layout parse_untrusted(Document doc) {
    if (!looks_like_layout(doc.root()))
        doc.fail_at(doc.root(),
                    "not a layout: expected a mapping of disk, root, persistence and initrd");
    doc.allow_quoting();
    return parse_layout(doc, doc.root());
}

} // namespace

Layout parse_layout_file(const std::string& text, const std::string& path) {
    return parse_untrusted(Document::parse(text, path, Quoting::none));
}

Layout load_layout(const std::string& path) {
    return parse_untrusted(Document::load(path, "layout", Quoting::none));
}

Layout load_referenced_layout(const Document& recipe, const YAML::Node& reference) {
    std::string path = resolve_relative(
        recipe.path(), read_string(recipe, reference, "a layout file or an inline layout"));
    std::string text;
    try {
        text = read_input_file(path, max_spec_file_bytes, "layout file");
    } catch (const Error& e) {
        if (e.code() != ExitCode::bad_input) throw;
        recipe.fail_at(reference, e.what());
    }
    return parse_layout_file(text, path);
}

} // namespace lethe::spec
