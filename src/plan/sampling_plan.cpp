#include "neuralpower/sampling_plan.hpp"

#include <algorithm>
#include <unordered_set>

#include "neuralpower/config_text.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/coverage_layers.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/random_layers.hpp"

namespace np {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

int64_t tensor_bytes_of(const Network& one) {
  const Layer& layer = one.layer(one.size() - 1);
  int64_t elements = element_count(layer.output_shape);
  for (int id = 0; id < one.size() - 1; ++id) elements += element_count(one.layer(id).output_shape);
  elements += layer_cost(one, one.size() - 1).params;
  return elements * element_bytes(one.dtype());
}

// Collects configurations, dropping duplicates and those over the caps.
class Collector {
 public:
  Collector(const PlanOptions& options, Plan& plan) : options_(options), plan_(plan) {}

  // Returns whether the configuration was kept.
  bool offer(Network one, const std::string& source_network, const std::string& source_layer) {
    LayerConfig c;
    c.config = config_text(one);
    if (!seen_.insert(c.config).second) {
      ++plan_.duplicates;
      return false;
    }
    c.tensor_bytes = tensor_bytes_of(one);
    c.flops = layer_cost(one, one.size() - 1).flops;
    if (options_.max_tensor_bytes > 0 && c.tensor_bytes > options_.max_tensor_bytes) {
      ++plan_.over_memory_cap;
      return false;
    }
    if (options_.max_flops > 0 && c.flops > options_.max_flops) {
      ++plan_.over_flops_cap;
      return false;
    }
    c.kind = one.layer(one.size() - 1).kind;
    c.source_network = source_network;
    c.source_layer = source_layer;
    c.net = std::move(one);
    plan_.configs.push_back(std::move(c));
    return true;
  }

 private:
  const PlanOptions& options_;
  Plan& plan_;
  std::unordered_set<std::string> seen_;
};

std::vector<std::string> plan_networks(const PlanOptions& options) {
  if (options.networks.empty()) {
    std::vector<std::string> names = default_training_networks();
    if (options.include_test_networks) {
      for (const auto& entry : zoo_entries()) {
        if (is_held_out_network(entry.name)) names.push_back(entry.name);
      }
    }
    return names;
  }
  for (const auto& name : options.networks) {
    if (is_held_out_network(name) && !options.include_test_networks) {
      throw Error("network '" + name +
                  "' is held out for evaluation and never feeds the layer dataset; pass "
                  "--include-test-networks to profile it anyway");
    }
  }
  return options.networks;
}

void add_network_layers(const std::string& name, const PlanOptions& options, Collector& collector) {
  std::optional<Network> net;
  for (int64_t batch : options.batches) {
    if (net && !net->has_batch_dim()) break;  // one image per run: its layers once, at batch 1
    ImportOptions import;
    import.batch = batch;
    try {
      if (!net) {
        net = load_network(name, import);
      } else {
        net->set_batch(batch);
      }
    } catch (const Error&) {
      // Re-inferring an imported graph at another batch can fail where importing at that
      // batch does not (shape arithmetic folded at import); import again.
      try {
        net = load_network_at_batch_or_one_image(name, import);
      } catch (const Error&) {
        rethrow_with_context("sampling plan: network '" + name + "' at batch " +
                             std::to_string(batch));
      }
    }
    // A plan measures one data type: the run's, also for the int8 layers of a QDQ graph.
    net->set_dtype(options.dtype);
    for (int id = 0; id < net->size(); ++id) net->mutable_layer(id).dtype.reset();
    for (int id = 0; id < net->size(); ++id) {
      const Layer& layer = net->layer(id);
      if (!is_modelled_kind(layer.kind)) continue;
      try {
        collector.offer(extract_layer(*net, id), name, layer.name);
      } catch (const Error&) {
        rethrow_with_context("sampling plan: network '" + name + "', layer '" + layer.name + "'");
      }
    }
  }
}

}  // namespace

std::string_view to_string(PlanKind kind) {
  switch (kind) {
    case PlanKind::nets:
      return "nets";
    case PlanKind::random:
      return "random";
    case PlanKind::both:
      return "both";
  }
  return "?";
}

PlanKind plan_kind_from_string(std::string_view name) {
  if (name == "nets") return PlanKind::nets;
  if (name == "random") return PlanKind::random;
  if (name == "both") return PlanKind::both;
  throw Error("unknown plan '" + std::string(name) + "' (nets, random or both)");
}

const std::vector<std::string>& paper_test_networks() {
  static const std::vector<std::string> names{"vgg-16", "nin", "cifar10-6conv", "alexnet-v2",
                                              "overfeat-fast"};
  return names;
}

const std::vector<std::string>& modern_held_out_networks() {
  // A transformer and a segmenter besides the CNNs: window attention and upsampling.
  static const std::vector<std::string> names{
      "resnet50",       "mobilenet_v2",  "efficientnet_b0", "densenet121",
      "regnet_y_400mf", "convnext_tiny", "swin_t",          "deeplabv3_mobilenet_v3_large"};
  return names;
}

const std::vector<std::string>& test_network_twins() {
  // torchvision's VGG-16 has exactly the conv and fc layers of the paper's VGG-16.
  static const std::vector<std::string> names{"vgg16"};
  return names;
}

bool is_held_out_network(const std::string& name) {
  return contains(paper_test_networks(), name) || contains(modern_held_out_networks(), name) ||
         contains(test_network_twins(), name);
}

std::vector<std::string> default_training_networks() {
  std::vector<std::string> names;
  for (const auto& entry : zoo_entries()) {
    if (!is_held_out_network(entry.name)) names.push_back(entry.name);
  }
  return names;
}

Plan make_plan(const PlanOptions& options) {
  if (options.random_count < 0) {
    throw Error("random configuration count must not be negative, got " +
                std::to_string(options.random_count));
  }
  if (options.max_configs < 0) {
    throw Error("--max-configs must not be negative, got " + std::to_string(options.max_configs));
  }
  Plan plan;
  Collector collector(options, plan);
  if (options.kind != PlanKind::random) {
    if (options.batches.empty()) throw Error("the nets plan needs at least one batch size");
    for (int64_t batch : options.batches) {
      if (batch <= 0) throw Error("batch sizes must be positive, got " + std::to_string(batch));
    }
    plan.networks = plan_networks(options);
    for (const auto& name : plan.networks) add_network_layers(name, options, collector);
  }
  if (options.kind != PlanKind::nets && options.random_count > 0) {
    // Draw until random_count configurations survive de-duplication and the caps; a cap that
    // rejects nearly everything ends the drawing instead of looping for ever.
    RandomLayerSampler sampler(options.seed, options.dtype);
    int64_t kept = 0;
    const int64_t max_draws = 50 * options.random_count + 1000;
    for (int64_t draws = 0; kept < options.random_count && draws < max_draws; ++draws) {
      kept += collector.offer(sampler.next(), "", "") ? 1 : 0;
    }
  }
  if (options.kind == PlanKind::both && options.coverage) {
    for (Network& one : coverage_layers(options.dtype)) collector.offer(std::move(one), "", "");
  }
  // A seeded shuffle (any prefix a fair sample of the whole), then, by default, the
  // space-filling order, whose ties the shuffle breaks.
  std::mt19937_64 engine(options.seed ^ 0x9e3779b97f4a7c15ULL);
  for (size_t i = plan.configs.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(engine() % i);
    std::swap(plan.configs[i - 1], plan.configs[j]);
  }
  if (options.order == PlanOrder::space_filling) space_filling_order(plan.configs);
  if (options.max_configs > 0 && static_cast<int64_t>(plan.configs.size()) > options.max_configs) {
    plan.beyond_max_configs = static_cast<int64_t>(plan.configs.size()) - options.max_configs;
    plan.configs.resize(static_cast<size_t>(options.max_configs));
  }
  return plan;
}

}  // namespace np
