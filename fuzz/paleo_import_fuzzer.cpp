// libFuzzer harness: the Paleo JSON importer (seeds: Paleo's nets and the importer's fixtures).
#include "fuzz_support.hpp"
#include "network_properties.hpp"
#include "neuralpower/paleo_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = np::fuzz::text_of(data, size);
  np::fuzz::expect_only_np_errors([&] {
    (void)np::is_paleo_json(text);
    np::fuzz::check_network(np::parse_paleo_json(text, "fuzz.json", {}));
  });
  return 0;
}
