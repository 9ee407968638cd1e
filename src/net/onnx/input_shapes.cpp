#include "input_shapes.hpp"

#include <optional>
#include <unordered_set>

#include "neuralpower/error.hpp"

namespace np::onnx_import {
namespace {

struct FileInput {
  std::string name;
  int32_t elem_type = 0;
  bool has_shape = false;
  std::vector<std::optional<int64_t>> dims;  // nullopt: dynamic
  std::vector<std::string> params;           // the dynamic dims' names, may be empty
};

std::vector<FileInput> file_inputs(const onnx::GraphProto& graph) {
  std::unordered_set<std::string> constants;
  for (const auto& t : graph.initializer()) constants.insert(t.name());
  for (const auto& t : graph.sparse_initializer()) constants.insert(t.values().name());
  std::vector<FileInput> inputs;
  for (const auto& info : graph.input()) {
    if (constants.count(info.name())) continue;
    FileInput in;
    in.name = info.name();
    if (info.type().has_tensor_type()) {
      const auto& tensor = info.type().tensor_type();
      in.elem_type = tensor.elem_type();
      in.has_shape = tensor.has_shape();
      for (const auto& dim : tensor.shape().dim()) {
        in.dims.push_back(dim.has_dim_value() ? std::optional<int64_t>(dim.dim_value())
                                              : std::nullopt);
        in.params.push_back(dim.has_dim_param() ? dim.dim_param() : "");
      }
    }
    inputs.push_back(std::move(in));
  }
  return inputs;
}

// "1x3x<height>x<width>": what to write after --input-shape NAME=.
std::string example_shape(const FileInput& in, const ImportOptions& options) {
  std::string text;
  for (size_t i = 0; i < in.dims.size(); ++i) {
    if (i) text += 'x';
    if (in.dims[i] && *in.dims[i] > 0) {
      text += std::to_string(*in.dims[i]);
    } else if (i == 0) {
      text += std::to_string(options.batch.value_or(1));
    } else {
      text += "<" + (in.params[i].empty() ? "dim" + std::to_string(i) : in.params[i]) + ">";
    }
  }
  return text;
}

[[noreturn]] void fail(const FileInput& in, const std::string& message) {
  throw Error("onnx input '" + in.name + "' " + message);
}

Shape file_shape(const FileInput& in, const ImportOptions& options) {
  if (!in.has_shape) {
    fail(in, "has no shape in the file; set it with --input-shape " + in.name + "=...");
  }
  Shape full;
  for (size_t i = 0; i < in.dims.size(); ++i) {
    if (i == 0 && options.batch) {
      full.push_back(*options.batch);
    } else if (!in.dims[i]) {
      const std::string param = in.params[i].empty() ? "" : " ('" + in.params[i] + "')";
      const std::string batch_hint = i == 0 ? "--batch N or " : "";
      fail(in, "dim " + std::to_string(i) + param + " is dynamic; set it with " + batch_hint +
                   "--input-shape " + in.name + "=" + example_shape(in, options));
    } else if (*in.dims[i] <= 0) {
      fail(in, "dim " + std::to_string(i) + " is " + std::to_string(*in.dims[i]) +
                   " in the file; dims must be positive (override it with --input-shape)");
    } else {
      full.push_back(*in.dims[i]);
    }
  }
  return full;
}

DataType data_type_of(int32_t elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT16:
      return DataType::fp16;
    case onnx::TensorProto::BFLOAT16:
      return DataType::bf16;
    default:
      return DataType::fp32;
  }
}

}  // namespace

ModelInputs resolve_inputs(const onnx::GraphProto& graph, const ImportOptions& options) {
  const auto inputs = file_inputs(graph);
  if (inputs.empty()) throw Error("the model has no inputs (every graph input is an initializer)");
  std::string names;
  for (const auto& in : inputs) names += (names.empty() ? "" : ", ") + in.name;
  for (const auto& [name, shape] : options.input_shapes) {
    bool found = false;
    for (const auto& in : inputs) found = found || in.name == name;
    if (!found) {
      throw Error("--input-shape names '" + name +
                  "', which is not an input of the model (inputs: " + names + ")");
    }
  }
  if (options.input_shape && inputs.size() > 1) {
    throw Error("the model has " + std::to_string(inputs.size()) + " inputs (" + names +
                "); name the one to shape: --input-shape NAME=...");
  }
  if (options.batch && *options.batch <= 0) {
    throw Error("batch must be positive, got " + std::to_string(*options.batch));
  }

  ModelInputs result;
  result.dtype = data_type_of(inputs[0].elem_type);
  std::optional<int64_t> import_batch, final_batch;
  for (const auto& in : inputs) {
    const auto named = options.input_shapes.find(in.name);
    const Shape* given = named != options.input_shapes.end() ? &named->second
                         : options.input_shape               ? &*options.input_shape
                                                             : nullptr;
    Shape full;
    if (given) {
      for (int64_t d : *given) {
        if (d <= 0)
          fail(in, "--input-shape " + shape_to_string(*given) + " has a non-positive dim");
      }
      if (in.has_shape && given->size() != in.dims.size()) {
        fail(in, "--input-shape " + shape_to_string(*given) + " has rank " +
                     std::to_string(given->size()) + ", the model's input has rank " +
                     std::to_string(in.dims.size()));
      }
      full = *given;
    } else {
      full = file_shape(in, options);
    }
    if (full.size() < 2) {
      fail(in, "has shape " + shape_to_string(full) +
                   "; the IR needs the batch dim and at least one more");
    }
    const int64_t final_b = options.batch.value_or(full[0]);
    const bool fixed_in_file = !in.dims.empty() && in.dims[0] && *in.dims[0] > 0;
    const int64_t import_b = fixed_in_file ? *in.dims[0] : final_b;
    if ((import_batch && *import_batch != import_b) || (final_batch && *final_batch != final_b)) {
      fail(in, "has batch " + std::to_string(final_b) + ", another input has " +
                   std::to_string(*final_batch) + "; all inputs must share the batch");
    }
    import_batch = import_b;
    final_batch = final_b;
    Shape at_import = full, at_final = full;
    at_import[0] = import_b;
    at_final[0] = final_b;
    try {
      element_count(at_import);
      element_count(at_final);
    } catch (...) {
      rethrow_with_context("onnx input '" + in.name + "'");
    }
    result.shapes.emplace_back(in.name, at_import);
  }
  result.import_batch = *import_batch;
  result.final_batch = *final_batch;
  return result;
}

void drop_batch_dim(const std::string& stacking_node, const ImportOptions& options,
                    ModelInputs& inputs) {
  if (options.batch && *options.batch != 1) {
    const auto& [name, shape] = inputs.shapes.front();
    throw Error("--batch " + std::to_string(*options.batch) + " cannot apply: onnx input '" + name +
                "' (" + shape_to_string(shape) + ") has no batch dim, node '" + stacking_node +
                "' stacks the one image into a batch of 1");
  }
  inputs.batched_by_node = stacking_node;
  inputs.import_batch = inputs.final_batch = 1;
}

}  // namespace np::onnx_import
