#include "neuralpower/network_report.hpp"

#include <nlohmann/json.hpp>

#include "neuralpower/cost.hpp"
#include "neuralpower/sampling_plan.hpp"
#include "neuralpower/table.hpp"

namespace np {
namespace {

std::string input_names(const Network& net, const Layer& layer) {
  std::string names;
  for (int id : layer.inputs) names += (names.empty() ? "" : " ") + net.layer(id).name;
  return names;
}

std::string unmodelled_note(const Network& net) {
  std::string note;
  if (const auto unmodelled = net.unmodelled_layers(); !unmodelled.empty()) {
    note = "unmodelled (counted as zero cost):";
    for (const auto& name : unmodelled) note += " " + name;
    note += "\n";
  }
  if (!net.unmodelled_nodes().empty()) {
    note += "not modelled, no cost counted: " + net.unmodelled_nodes().summary() + "\n";
  }
  return note;
}

}  // namespace

std::string network_json(const Network& net) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    const LayerCost cost = layer_cost(net, id);
    nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
    for (int input : layer.inputs) inputs.push_back(net.layer(input).name);
    layers.push_back({{"name", layer.name},
                      {"kind", to_string(layer.kind)},
                      {"op", layer.op},
                      {"inputs", inputs},
                      {"output_shape", layer.output_shape},
                      {"dtype", to_string(net.dtype_of(id))},
                      {"flops", cost.flops},
                      {"params", cost.params},
                      {"bytes", cost.bytes()},
                      {"bytes_read", cost.bytes_read},
                      {"bytes_written", cost.bytes_written}});
  }
  const NetworkCost total = network_cost(net);
  nlohmann::ordered_json doc = {{"network", net.name()},
                                {"batch", net.batch()},
                                {"has_batch_dim", net.has_batch_dim()},
                                {"dtype", to_string(net.dtype())},
                                {"layers", layers},
                                {"total",
                                 {{"flops", total.total.flops},
                                  {"params", total.total.params},
                                  {"bytes", total.total.bytes()},
                                  {"layers", total.layers}}},
                                {"unmodelled", net.unmodelled_layers()}};
  if (const UnmodelledNodes& left_out = net.unmodelled_nodes(); !left_out.empty()) {
    doc["unmodelled_nodes"] = {{"nodes", left_out.count()},
                               {"graph_nodes", left_out.graph_nodes},
                               {"first", left_out.first},
                               {"ops", left_out.ops}};
  }
  return doc.dump(2) + "\n";
}

std::string network_table(const Network& net) {
  Table table({{"#", Align::right},
               {"layer"},
               {"kind"},
               {"op"},
               {"inputs"},
               {"output shape"},
               {"FLOPs", Align::right},
               {"params", Align::right},
               {"bytes", Align::right}});
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    const LayerCost cost = layer_cost(net, id);
    table.add_row({std::to_string(id), layer.name, std::string(to_string(layer.kind)), layer.op,
                   input_names(net, layer), shape_to_string(layer.output_shape),
                   cost.flops ? si(static_cast<double>(cost.flops)) : "-",
                   cost.params ? with_thousands(cost.params) : "-",
                   cost.bytes() ? si(static_cast<double>(cost.bytes()), "B") : "-"});
  }
  const NetworkCost total = network_cost(net);
  table.add_separator();
  table.add_row({"", "total", std::to_string(total.layers) + " layers", "", "", "",
                 si(static_cast<double>(total.total.flops)), with_thousands(total.total.params),
                 si(static_cast<double>(total.total.bytes()), "B")});
  std::string header = "network " + net.name() + ", batch " + std::to_string(net.batch()) +
                       (net.has_batch_dim() ? "" : " (one image: the input has no batch dim)") +
                       ", " + std::string(to_string(net.dtype()));
  if (const int others = net.layers_in_other_dtypes(); others > 0) {
    header += "; " + std::to_string(others) +
              " layers in int8 (they read through DequantizeLinear: a quantized QDQ graph), at "
              "1 byte per element";
  }
  header += "\n\n";
  return header + table.to_text() + unmodelled_note(net);
}

std::string network_csv(const Network& net) {
  Table table({{"name"},
               {"kind"},
               {"op"},
               {"inputs"},
               {"output_shape"},
               {"flops"},
               {"params"},
               {"bytes_read"},
               {"bytes_written"}});
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    const LayerCost cost = layer_cost(net, id);
    table.add_row({layer.name, std::string(to_string(layer.kind)), layer.op,
                   input_names(net, layer), shape_to_string(layer.output_shape),
                   std::to_string(cost.flops), std::to_string(cost.params),
                   std::to_string(cost.bytes_read), std::to_string(cost.bytes_written)});
  }
  return table.to_csv();
}

std::string zoo_report(const std::string& zoo_folder, const std::vector<ZooEntry>& entries) {
  Table table({{"name"}, {"format"}, {"sampling plan"}, {"file"}});
  for (const auto& entry : entries) {
    // Whether the default sampling plan measures its layers (docs/profiling.md).
    const char* role = is_held_out_network(entry.name) ? "held out" : "trains";
    table.add_row({entry.name, entry.format, role, entry.path});
  }
  return "zoo folder: " + zoo_folder + "\n\n" + table.to_text();
}

std::string network_report(const Network& net, OutputFormat format) {
  switch (format) {
    case OutputFormat::json:
      return network_json(net);
    case OutputFormat::csv:
      return network_csv(net);
    default:
      return network_table(net);
  }
}

}  // namespace np
