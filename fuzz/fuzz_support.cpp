#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>

namespace np::fuzz {

void broken_property(const std::string& what) {
  std::fprintf(stderr, "broken property: %s\n", what.c_str());
  std::abort();
}

}  // namespace np::fuzz
