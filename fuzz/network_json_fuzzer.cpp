// libFuzzer harness: our JSON network reader (seeds: the paper zoo and the format's fixtures).
#include "fuzz_support.hpp"
#include "network_properties.hpp"
#include "neuralpower/network_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  np::fuzz::expect_only_np_errors([&] {
    np::fuzz::check_network(np::parse_network_json(np::fuzz::text_of(data, size), "fuzz.json", {}));
  });
  return 0;
}
