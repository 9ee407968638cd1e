// Model files, per-layer predictions (as `predict` makes them), the Paleo baseline, and the batch
// call that predicts many networks at many batches without a Python loop.
#include <pybind11/stl.h>

#include <filesystem>

#include "bindings.hpp"
#include "neuralpower/batch_predict.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/paleo_baseline.hpp"
#include "neuralpower/predict.hpp"

namespace np::python {
namespace py = pybind11;

namespace {

py::object optional_float(const std::optional<double>& value) {
  return value ? py::object(py::float_(*value)) : py::object(py::none());
}

py::dict prediction_dict(const NetworkPrediction& p) {
  py::list layers;
  for (const LayerPrediction& l : p.layers) {
    py::dict d;
    d["index"] = l.id;
    d["name"] = l.name;
    d["kind"] = std::string(to_string(l.kind));
    d["runtime_ms"] = l.runtime_ms;
    d["power_w"] = optional_float(l.power_w);
    d["energy_mj"] = optional_float(l.energy_mj);
    d["flags"] = py::tuple(py::cast(l.flags));
    d["has_runtime_model"] = l.has_runtime_model();
    layers.append(d);
  }
  py::dict d;
  d["network"] = p.network;
  d["batch"] = p.batch;
  d["model"] = p.model;
  d["layers"] = layers;
  d["runtime_ms"] = p.runtime_ms;
  d["power_w"] = optional_float(p.power_w);
  d["energy_mj"] = optional_float(p.energy_mj);
  d["runtime_without_power_ms"] = p.runtime_without_power_ms;
  return d;
}

std::shared_ptr<LoadedModel> load_model(const std::optional<std::string>& given) {
  auto model = std::make_shared<LoadedModel>();
  model->path = given ? *given : default_model_path();
  if (!given && !std::filesystem::exists(model->path)) {
    throw Error("no model given and no shipped model at " + model->path);
  }
  model->file = read_model_file(model->path);
  model->label = model_label(model->path, model->file);
  model->compiled = std::make_unique<CompiledModel>(model->file);
  return model;
}

py::dict platform_dict(const Platform& platform) {
  py::dict d;
  d["backend"] = platform.backend;
  d["device"] = platform.device;
  d["dtype"] = platform.dtype;
  d["math_mode"] = platform.math_mode;
  d["driver"] = platform.driver;
  d["runtime_version"] = platform.runtime_version;
  d["library_version"] = platform.library_version;
  d["tool_version"] = platform.tool_version;
  d["clocks_locked"] = platform.clocks_locked;
  return d;
}

py::list kind_summaries(const ModelFile& file) {
  py::list kinds;
  for (const auto& [kind, model] : file.kinds) {
    py::dict d;
    d["kind"] = std::string(to_string(kind));
    d["features"] = model.features;
    d["runtime"] = model.runtime.has_value();
    d["power"] = model.power.has_value();
    d["runtime_cv_rmspe"] =
        model.runtime ? optional_float(model.runtime->cv_rmspe) : py::object(py::none());
    d["power_cv_rmspe"] =
        model.power ? optional_float(model.power->cv_rmspe) : py::object(py::none());
    kinds.append(d);
  }
  return kinds;
}

// Column lists, one entry per network and batch: cheap to build and to hand to pandas.
py::dict totals_columns(const std::vector<NetworkTotals>& totals, size_t batches_per_network) {
  const size_t n = totals.size();
  py::list network(n), batch(n), runtime(n), power(n), energy(n), without_power(n), layers(n),
      without_model(n);
  for (size_t i = 0; i < n; ++i) {
    const NetworkTotals& t = totals[i];
    network[i] = py::int_(i / batches_per_network);
    batch[i] = py::int_(t.batch);
    runtime[i] = py::float_(t.runtime_ms);
    power[i] = optional_float(t.power_w);
    energy[i] = optional_float(t.energy_mj);
    without_power[i] = py::float_(t.runtime_without_power_ms);
    layers[i] = py::int_(t.layers);
    without_model[i] = py::int_(t.layers_without_model);
  }
  py::dict d;
  d["network"] = network;
  d["batch"] = batch;
  d["runtime_ms"] = runtime;
  d["power_w"] = power;
  d["energy_mj"] = energy;
  d["runtime_without_power_ms"] = without_power;
  d["layers"] = layers;
  d["layers_without_model"] = without_model;
  return d;
}

}  // namespace

void bind_predict(py::module_& m) {
  py::class_<LoadedModel, std::shared_ptr<LoadedModel>>(m, "Model")
      .def_readonly("path", &LoadedModel::path)
      .def_readonly("label", &LoadedModel::label)
      .def_property_readonly(
          "platform", [](const LoadedModel& model) { return platform_dict(model.file.platform); })
      .def_property_readonly("created", [](const LoadedModel& model) { return model.file.created; })
      .def_property_readonly("datasets",
                             [](const LoadedModel& model) { return model.file.datasets; })
      .def("kinds", [](const LoadedModel& model) { return kind_summaries(model.file); });

  m.def("load_model", &load_model, py::arg("path"));
  m.def("default_model_path", &default_model_path);
  m.def(
      "predict",
      [](const Network& net, const LoadedModel& model) {
        return prediction_dict(predict_network(net, model.file, model.label));
      },
      py::arg("network"), py::arg("model"));
  m.def(
      "predict_paleo",
      [](const Network& net, const std::string& gpu) {
        return prediction_dict(paleo_prediction(net, find_gpu_spec(gpu)));
      },
      py::arg("network"), py::arg("gpu"));
  m.def("gpu_specs", [] {
    py::list ids;
    for (const GpuSpec& spec : shipped_gpu_specs()) ids.append(py::make_tuple(spec.id, spec.name));
    return ids;
  });
  m.def(
      "predict_many",
      [](const std::vector<const Network*>& networks, const LoadedModel& model,
         const std::vector<int64_t>& batches) {
        std::vector<NetworkTotals> totals;
        {
          py::gil_scoped_release released;
          totals = predict_many(networks, batches, *model.compiled);
        }
        return totals_columns(totals, std::max<size_t>(1, batches.size()));
      },
      py::arg("networks"), py::arg("model"), py::arg("batches"));
}

}  // namespace np::python
