#include "build.hpp"
#include "util/error.hpp"
namespace lethe { void build(const BuildOptions&) { fail("not wired"); } }
