// libFuzzer harness: the model-file reader (seeds: small trained model files). An accepted model
// writes and reads back, and predicts a fixed network with every kind it models without a
// non-finite number or a crash.
#include <cmath>

#include "fuzz_support.hpp"
#include "neuralpower/model_file.hpp"
#include "neuralpower/network_json.hpp"
#include "neuralpower/predict.hpp"

namespace {

// Small, and with a layer of each common kind.
constexpr const char* kNetwork =
    R"({"format": "neuralpower-network", "version": 1, "name": "fuzz", "batch": 2, "layers": [
  {"name": "data", "kind": "input", "shape": [3, 32, 32]},
  {"name": "conv", "kind": "conv", "out_channels": 8, "kernel": 3, "pad": 1},
  {"name": "bn", "kind": "bn"},
  {"name": "relu", "kind": "act", "function": "relu"},
  {"name": "pool", "kind": "pool", "mode": "max", "kernel": 2, "stride": 2},
  {"name": "sum", "kind": "add", "inputs": ["pool", "pool"]},
  {"name": "flat", "kind": "flatten"},
  {"name": "fc", "kind": "fc", "out_features": 10},
  {"name": "prob", "kind": "softmax"}]})";

const np::Network& network() {
  static const np::Network net = np::parse_network_json(kNetwork, "fuzz-net.json", {});
  return net;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  np::fuzz::expect_only_np_errors([&] {
    const np::ModelFile model = np::parse_model_file(np::fuzz::text_of(data, size), "fuzz.json");
    try {
      (void)np::parse_model_file(np::write_model_file(model), "written.json");
    } catch (const np::Error& e) {
      np::fuzz::broken_property(std::string("an accepted model file does not read back: ") +
                                e.what());
    }
    const np::NetworkPrediction p = np::predict_network(network(), model, "fuzz.json");
    if (!std::isfinite(p.runtime_ms) || (p.energy_mj && !std::isfinite(*p.energy_mj))) {
      np::fuzz::broken_property("a prediction that is not finite was returned, not refused");
    }
  });
  return 0;
}
