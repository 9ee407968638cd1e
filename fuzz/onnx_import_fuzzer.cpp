// libFuzzer harness: the ONNX importer on arbitrary bytes (seeds: the zoo's weight-free files).
#include "fuzz_support.hpp"
#include "network_properties.hpp"
#include "neuralpower/onnx_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  np::fuzz::expect_only_np_errors([&] {
    // A batch and --allow-unknown take the import past the two most common refusals (dynamic
    // dims, ops not modelled) into shape inference, folding and fusion.
    np::ImportOptions options;
    options.batch = 2;
    options.allow_unknown = true;
    np::fuzz::check_network(
        np::import_onnx_bytes(np::fuzz::text_of(data, size), "fuzz.onnx", options));
  });
  return 0;
}
