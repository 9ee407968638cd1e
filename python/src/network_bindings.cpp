// Networks: loading (zoo name, file, ONNX bytes) with the command line's import options, and
// their layers with shapes and analytical costs as plain dicts.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/network.hpp"
#include "neuralpower/onnx_import.hpp"

namespace np::python {
namespace py = pybind11;

namespace {

ImportOptions import_options(std::optional<int64_t> batch,
                             const std::map<std::string, Shape>& input_shapes,
                             const std::optional<Shape>& input_shape, bool allow_unknown) {
  ImportOptions options;
  if (batch) {
    if (*batch <= 0) throw Error("batch must be positive, got " + std::to_string(*batch));
    options.batch = batch;
  }
  options.input_shapes = input_shapes;
  options.input_shape = input_shape;
  options.allow_unknown = allow_unknown;
  return options;
}

py::tuple as_tuple(const Shape& shape) {
  py::tuple out(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) out[i] = shape[i];
  return out;
}

py::dict cost_dict(const LayerCost& cost) {
  py::dict d;
  d["flops"] = cost.flops;
  d["macs"] = cost.macs;
  d["params"] = cost.params;
  d["bytes_read"] = cost.bytes_read;
  d["bytes_written"] = cost.bytes_written;
  d["bytes"] = cost.bytes();
  return d;
}

py::list layer_dicts(const Network& net) {
  py::list layers;
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    py::dict d = cost_dict(layer_cost(net, id));
    d["index"] = id;
    d["name"] = layer.name;
    d["kind"] = std::string(to_string(layer.kind));
    d["op"] = layer.op;
    py::list inputs;
    py::list input_shapes;
    for (int input : layer.inputs) {
      inputs.append(net.layer(input).name);
      input_shapes.append(as_tuple(net.layer(input).output_shape));
    }
    d["inputs"] = py::tuple(inputs);
    d["input_shapes"] = py::tuple(input_shapes);
    d["output_shape"] = as_tuple(layer.output_shape);
    d["dtype"] = std::string(to_string(net.dtype_of(id)));
    layers.append(d);
  }
  return layers;
}

}  // namespace

void bind_network(py::module_& m) {
  py::class_<Network>(m, "Network")
      .def_property_readonly("name", &Network::name)
      .def_property_readonly("batch", &Network::batch)
      .def_property_readonly("has_batch_dim", &Network::has_batch_dim)
      .def_property_readonly("dtype", [](const Network& net) { return to_string(net.dtype()); })
      .def("__len__", &Network::size)
      .def("layers", &layer_dicts)
      .def("total",
           [](const Network& net) {
             const NetworkCost cost = network_cost(net);
             py::dict d = cost_dict(cost.total);
             d["layers"] = cost.layers;
             return d;
           })
      .def("unmodelled", &Network::unmodelled_layers)
      // The source graph's nodes left out (a detector's post-processing): "" for most networks.
      .def("unmodelled_nodes", [](const Network& net) { return net.unmodelled_nodes().summary(); })
      .def("with_batch", [](const Network& net, int64_t batch) {
        Network copy = net;
        copy.set_batch(batch);
        return copy;
      });

  m.def(
      "load_network",
      [](const std::string& spec, std::optional<int64_t> batch,
         const std::map<std::string, Shape>& input_shapes, const std::optional<Shape>& input_shape,
         bool allow_unknown) {
        return load_network(spec, import_options(batch, input_shapes, input_shape, allow_unknown));
      },
      py::arg("spec"), py::arg("batch"), py::arg("input_shapes"), py::arg("input_shape"),
      py::arg("allow_unknown"));
  m.def(
      "load_onnx_bytes",
      [](const py::bytes& data, const std::string& name, std::optional<int64_t> batch,
         const std::map<std::string, Shape>& input_shapes, const std::optional<Shape>& input_shape,
         bool allow_unknown) {
        const ImportOptions options =
            import_options(batch, input_shapes, input_shape, allow_unknown);
        Network net = import_onnx_bytes(std::string(data), name, options);
        return net;
      },
      py::arg("data"), py::arg("name"), py::arg("batch"), py::arg("input_shapes"),
      py::arg("input_shape"), py::arg("allow_unknown"));
  m.def("parse_shape", &parse_shape, py::arg("text"));
  m.def("zoo", [] {
    py::list entries;
    for (const ZooEntry& entry : zoo_entries()) {
      entries.append(py::make_tuple(entry.name, entry.path, entry.format));
    }
    return entries;
  });
}

}  // namespace np::python
