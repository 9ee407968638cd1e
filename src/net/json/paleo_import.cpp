// Importer of Paleo's JSON nets (Qi et al. 2016; docs/network-format.md, "Paleo nets"). Paleo
// describes TensorFlow graphs: tensors are NHWC and "SAME" padding follows TensorFlow, so
// shapes are tracked while layers are added, as TensorFlow's pads depend on the input size.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "net/json/input_overrides.hpp"
#include "net/json/paleo_graph.hpp"
#include "net/json/shape_values.hpp"
#include "net/json/topological_order.hpp"
#include "neuralpower/checked.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/paleo_import.hpp"
#include "neuralpower/text_file.hpp"

namespace np {
namespace {

using json::Json;
using json::ObjectReader;
using json::PaleoNode;

struct Pads {
  int64_t begin = 0, end = 0;
};

// TensorFlow's "SAME": out = ceil(in / stride); the total padding that gives this output is
// split with the extra element at the end (bottom/right).
Pads tensorflow_same_pads(int64_t in, int64_t kernel, int64_t stride) {
  const int64_t out = checked_add(in, stride - 1, "SAME padding") / stride;
  const int64_t needed =
      checked_add(checked_mul(out - 1, stride, "SAME padding"), kernel, "SAME padding") - in;
  const int64_t total = std::max<int64_t>(needed, 0);
  return {total / 2, total - total / 2};
}

// Paleo's 4-element window vectors: "strides": [1, sh, sw, 1], "ksize": [1, kh, kw, 1].
std::pair<int64_t, int64_t> nhwc_window(const Json& value, const std::string& key) {
  const auto list = json::to_int_list(value, key);
  if (list.size() != 4) {
    throw Error("key '" + key + "' must be [1, h, w, 1], got " + json::brief(value));
  }
  if (list[0] != 1 || list[3] != 1) {
    throw Error("key '" + key + "' must be 1 along batch and channels, got " + json::brief(value));
  }
  if (list[1] < 1 || list[2] < 1) {
    throw Error("key '" + key + "' must be positive, got " + json::brief(value));
  }
  return {json::check_window_value(list[1], key), json::check_window_value(list[2], key)};
}

struct Padding {
  Pads h, w;
};

// "SAME", "VALID" or Paleo's explicit [pad_h, pad_w] (symmetric).
Padding read_padding(const Json& value, const Shape& input, int64_t kernel_h, int64_t kernel_w,
                     int64_t stride_h, int64_t stride_w) {
  if (value.is_string() && value.get<std::string>() == "SAME") {
    return {tensorflow_same_pads(input[2], kernel_h, stride_h),
            tensorflow_same_pads(input[3], kernel_w, stride_w)};
  }
  if (value.is_string() && value.get<std::string>() == "VALID") return {};
  if (value.is_array()) {
    const auto list = json::to_int_list(value, "padding");
    if (list.size() == 2 && list[0] >= 0 && list[1] >= 0) {
      const int64_t h = json::check_window_value(list[0], "padding");
      const int64_t w = json::check_window_value(list[1], "padding");
      return {{h, h}, {w, w}};
    }
  }
  throw Error("key 'padding' must be \"SAME\", \"VALID\" or [pad_h, pad_w], got " +
              json::brief(value));
}

Window window_of(int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                 const Padding& pads) {
  Window w;
  w.kernel_h = kernel_h;
  w.kernel_w = kernel_w;
  w.stride_h = stride_h;
  w.stride_w = stride_w;
  w.pad_top = pads.h.begin;
  w.pad_bottom = pads.h.end;
  w.pad_left = pads.w.begin;
  w.pad_right = pads.w.end;
  return w;
}

// NHWC axis of Paleo -> NCHW axis of the IR, for a tensor of the given rank.
int64_t nchw_axis(int64_t nhwc_axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (nhwc_axis < -r || nhwc_axis >= r) {
    throw Error("axis " + std::to_string(nhwc_axis) + " is out of range for rank " +
                std::to_string(rank));
  }
  const int64_t axis = nhwc_axis < 0 ? nhwc_axis + r : nhwc_axis;
  if (rank != 4 || axis == 0) return axis;
  return axis == 3 ? 1 : axis + 1;
}

// NHWC dims after the batch -> NCHW sample shape.
Shape nchw_sample(const std::vector<int64_t>& nhwc_without_batch) {
  if (nhwc_without_batch.size() != 3) return nhwc_without_batch;
  return {nhwc_without_batch[2], nhwc_without_batch[0], nhwc_without_batch[1]};
}

class PaleoBuilder {
 public:
  PaleoBuilder(Network& net, const ImportOptions& options) : net_(net), options_(options) {}

  void add(const PaleoNode& node, const Shape* overridden_input) {
    // Like Paleo, keys a type does not use are ignored (Overfeat's files carry "bias": [64]).
    ObjectReader r(*node.spec, "a layer");
    const std::string& t = node.type;
    if (t == "Input") {
      add_input(node, *overridden_input);
    } else if (t == "Convolution") {
      add_convolution(node, r);
    } else if (t == "Pooling" || t == "AvgPool") {
      add_pooling(node, r, t == "Pooling" ? PoolMode::max : PoolMode::avg);
    } else if (t == "InnerProduct") {
      add_inner_product(node, r);
    } else if (t == "Dropout") {
      const double keep = json::to_double(r.required("dropout_keep_prob"), "dropout_keep_prob");
      if (!(keep > 0 && keep <= 1)) {
        throw Error("key 'dropout_keep_prob' must be in (0, 1], got " + std::to_string(keep));
      }
      finish(node, add_layer(node.name, LayerKind::dropout, t, single_parent(node), NoAttrs{}));
    } else if (t == "Concatenate") {
      const int64_t dim = r.required_int("dim");
      const auto inputs = parents(node);
      if (inputs.empty()) throw Error("Concatenate needs at least one parent");
      const ConcatAttrs attrs{nchw_axis(dim, shape_of(inputs[0]).size()), {}};
      finish(node, add_layer(node.name, LayerKind::concat, t, inputs, attrs));
    } else if (t == "Elementwise") {
      finish(node, add_layer(node.name, LayerKind::add, t, parents(node), EltwiseAttrs{}));
    } else if (t == "Softmax") {
      add_softmax(node, r);
    } else if (t == "ReLU" || t == "Sigmoid") {
      const ActAttrs attrs = make_activation(t == "ReLU" ? "relu" : "sigmoid");
      finish(node, add_layer(node.name, LayerKind::act, t, single_parent(node), attrs));
    } else if (t == "LRN") {
      LrnAttrs attrs;
      attrs.size = r.int_or("size", attrs.size);
      attrs.alpha = r.double_or("alpha", attrs.alpha);
      attrs.beta = r.double_or("beta", attrs.beta);
      attrs.bias = r.double_or("bias", attrs.bias);
      if (attrs.size < 1) throw Error("key 'size' must be positive");
      finish(node, add_layer(node.name, LayerKind::lrn, t, single_parent(node), attrs));
    } else if (t == "BatchNorm") {
      finish(node, add_layer(node.name, LayerKind::bn, t, single_parent(node), BnAttrs{}));
    } else if (t == "Reshape") {
      add_reshape(node, r);
    } else if (t == "ModelParallel" || t == "Deconvolution" || t == "UpSampling2D") {
      throw Error("Paleo type '" + t + "' is not supported");
    } else if (options_.allow_unknown) {
      add_generic(node);
    } else {
      throw Error("unknown Paleo layer type '" + t +
                  "' (known: Input, Convolution, Pooling, AvgPool, InnerProduct, Dropout, "
                  "Concatenate, Elementwise, Softmax, ReLU, Sigmoid, LRN, BatchNorm, Reshape, "
                  "Block)");
    }
  }

 private:
  int add_layer(const std::string& name, LayerKind kind, const std::string& op,
                std::vector<int> inputs, LayerAttrs attrs) {
    Layer layer{name, kind, op, std::move(inputs), std::move(attrs), {}};
    std::vector<Shape> input_shapes;
    for (int id : layer.inputs) input_shapes.push_back(net_.layer(id).output_shape);
    layer.output_shape = infer_output_shape(layer, input_shapes, net_.batch());
    return net_.add(std::move(layer));
  }

  int add_layer(const std::string& name, LayerKind kind, const std::string& op, int input,
                LayerAttrs attrs) {
    return add_layer(name, kind, op, std::vector<int>{input}, std::move(attrs));
  }

  void finish(const PaleoNode& node, int output_id) { output_of_[node.name] = output_id; }

  std::vector<int> parents(const PaleoNode& node) const {
    std::vector<int> ids;
    for (const auto& parent : node.parents) ids.push_back(output_of_.at(parent));
    return ids;
  }

  int single_parent(const PaleoNode& node) const {
    if (node.parents.size() != 1) {
      throw Error("expects 1 parent, has " + std::to_string(node.parents.size()));
    }
    return output_of_.at(node.parents[0]);
  }

  const Shape& shape_of(int id) const { return net_.layer(id).output_shape; }

  const Shape& image_input(int id) const {
    const Shape& shape = shape_of(id);
    if (shape.size() != 4) {
      throw Error("needs an image input [N, H, W, C], got one of shape " + shape_to_string(shape));
    }
    return shape;
  }

  void add_input(const PaleoNode& node, const Shape& sample) {
    if (!node.parents.empty()) throw Error("an Input layer has no parents");
    finish(node,
           add_layer(node.name, LayerKind::input, "Input", std::vector<int>{}, InputAttrs{sample}));
  }

  void add_convolution(const PaleoNode& node, ObjectReader& r) {
    const int input = single_parent(node);
    const Shape& x = image_input(input);
    const auto filter = json::to_int_list(r.required("filter"), "filter");
    if (filter.size() != 4) {
      throw Error("key 'filter' must be [kh, kw, c_in, c_out], got " +
                  json::brief(r.required("filter")));
    }
    const int64_t in_channels = filter[2] == -1 ? x[1] : filter[2];
    if (in_channels != x[1]) {
      throw Error("filter " + json::brief(r.required("filter")) + " expects " +
                  std::to_string(in_channels) + " input channels, the input has " +
                  std::to_string(x[1]));
    }
    if (filter[0] < 1 || filter[1] < 1 || filter[3] < 1) {
      throw Error("key 'filter' must have positive sizes, got " +
                  json::brief(r.required("filter")));
    }
    json::check_window_value(filter[0], "filter");
    json::check_window_value(filter[1], "filter");
    const auto [stride_h, stride_w] = nhwc_window(r.required("strides"), "strides");
    const Padding pads =
        read_padding(r.required("padding"), x, filter[0], filter[1], stride_h, stride_w);
    const auto normalizer = r.optional("normalizer_fn");
    const bool batch_norm = normalizer && !normalizer->is_null();
    if (batch_norm && !(normalizer->is_string() && *normalizer == "batch_norm")) {
      throw Error("key 'normalizer_fn' must be \"batch_norm\" or null, got " +
                  json::brief(*normalizer));
    }
    // Paleo's graph.py defaults a missing activation_fn to relu.
    const auto activation = r.optional("activation_fn");
    std::optional<std::string> function = "relu";
    if (activation && activation->is_null()) {
      function.reset();
    } else if (activation && activation->is_string()) {
      function = activation->get<std::string>();
    } else if (activation) {
      throw Error("key 'activation_fn' must be a string or null, got " + json::brief(*activation));
    }

    ConvAttrs a;
    a.out_channels = filter[3];
    a.set_window(window_of(filter[0], filter[1], stride_h, stride_w, pads));
    // TF-slim's conv2d drops its bias when a normalizer follows.
    a.bias = !batch_norm;
    int output = add_layer(node.name, LayerKind::conv, node.type, input, a);
    if (batch_norm) {
      output = add_layer(node.name + "/batch_norm", LayerKind::bn, "Convolution.normalizer_fn",
                         output, BnAttrs{});
    }
    if (function) {
      output = add_layer(node.name + "/" + *function, LayerKind::act, "Convolution.activation_fn",
                         output, make_activation(*function));
    }
    finish(node, output);
  }

  void add_pooling(const PaleoNode& node, ObjectReader& r, PoolMode mode) {
    const int input = single_parent(node);
    const Shape& x = image_input(input);
    const auto [kernel_h, kernel_w] = nhwc_window(r.required("ksize"), "ksize");
    const auto [stride_h, stride_w] = nhwc_window(r.required("strides"), "strides");
    const Padding pads =
        read_padding(r.required("padding"), x, kernel_h, kernel_w, stride_h, stride_w);
    PoolAttrs a;
    a.mode = mode;
    a.set_window(window_of(kernel_h, kernel_w, stride_h, stride_w, pads));
    a.count_include_pad = false;  // TensorFlow averages over the valid elements only
    finish(node, add_layer(node.name, LayerKind::pool, node.type, input, a));
  }

  // Paleo flattens any input that is not [N, features] before the product.
  void add_inner_product(const PaleoNode& node, ObjectReader& r) {
    int input = single_parent(node);
    const int64_t outputs = r.required_int("num_outputs");
    if (outputs < 1)
      throw Error("key 'num_outputs' must be positive, got " + std::to_string(outputs));
    if (shape_of(input).size() != 2) {
      input = add_layer(node.name + "/flatten", LayerKind::flatten, "InnerProduct.flatten", input,
                        NoAttrs{});
    }
    finish(node, add_layer(node.name, LayerKind::fc, node.type, input, FcAttrs{outputs, true}));
  }

  // Over the class scores: TensorFlow's last axis, the channel axis of an NCHW image.
  void add_softmax(const PaleoNode& node, ObjectReader& r) {
    const int input = single_parent(node);
    const Shape& x = shape_of(input);
    if (const Json* classes = r.optional("num_classes"); classes && !classes->is_null()) {
      const int64_t count = json::to_int(*classes, "num_classes");
      const int64_t channels = x.size() == 4 ? x[1] : x.back();
      if (count != channels) {
        throw Error("num_classes " + std::to_string(count) + " differs from the " +
                    std::to_string(channels) + " classes of its input " + shape_to_string(x));
      }
    }
    const SoftmaxAttrs attrs{x.size() == 4 ? 1 : -1};
    finish(node, add_layer(node.name, LayerKind::softmax, node.type, input, attrs));
  }

  // "output_shape" is NHWC with the batch first; Paleo fills a -1 at either end.
  void add_reshape(const PaleoNode& node, ObjectReader& r) {
    const int input = single_parent(node);
    const Json& target = r.required("output_shape");
    const auto dims = json::to_int_list(target, "output_shape");
    if (dims.size() < 2 || dims.size() > 6) {
      throw Error("key 'output_shape' must have 2 to 6 dims, got " + json::brief(target));
    }
    const Shape sample = nchw_sample({dims.begin() + 1, dims.end()});
    json::to_sample_shape(Json(sample), "output_shape", true);
    finish(node, add_layer(node.name, LayerKind::reshape, node.type, input, ReshapeAttrs{sample}));
  }

  // Paleo's Generic layer: any other type, zero cost, output shaped as its first input.
  void add_generic(const PaleoNode& node) {
    const auto inputs = parents(node);
    if (inputs.empty()) throw Error("a layer of unknown type '" + node.type + "' has no parents");
    const Shape& x = shape_of(inputs[0]);
    const UnknownAttrs attrs{Shape(x.begin() + 1, x.end())};
    finish(node, add_layer(node.name, LayerKind::unknown, node.type, inputs, attrs));
  }

  Network& net_;
  const ImportOptions& options_;
  std::map<std::string, int> output_of_;  // Paleo name -> IR id of its output
};

// "tensor": [N, H, W, C] or [N, features].
std::pair<Shape, int64_t> read_input_tensor(const PaleoNode& node) {
  ObjectReader r(*node.spec, "a layer");
  const Json& tensor = r.required("tensor");
  const auto dims = json::to_int_list(tensor, "tensor");
  if (dims.size() != 4 && dims.size() != 2) {
    throw Error("key 'tensor' must be [N, H, W, C] or [N, features], got " + json::brief(tensor));
  }
  for (int64_t d : dims) {
    if (d <= 0) throw Error("key 'tensor' has a dim that is not positive: " + json::brief(tensor));
  }
  return {nchw_sample({dims.begin() + 1, dims.end()}), dims[0]};
}

std::string file_stem(const std::string& display_name) {
  const std::string stem = std::filesystem::path(display_name).stem().string();
  return stem.empty() ? display_name : stem;
}

std::string node_context(const PaleoNode& node) {
  return "layer '" + node.name + "' (" + node.type + ")";
}

Network build_paleo_network(const Json& document, const std::string& display_name,
                            const ImportOptions& options) {
  ObjectReader top(document, "a Paleo net");
  const std::string name = top.optional_string("name").value_or(file_stem(display_name));
  const auto nodes = json::flatten_paleo_layers(top.required("layers"));

  std::vector<json::InputDecl> inputs;
  std::optional<int64_t> file_batch;
  for (const auto& node : nodes) {
    if (node.type != "Input") continue;
    try {
      auto [sample, batch] = read_input_tensor(node);
      if (file_batch && *file_batch != batch && !options.batch) {
        throw Error("batch " + std::to_string(batch) + " differs from the batch " +
                    std::to_string(*file_batch) + " of an earlier input");
      }
      file_batch = batch;
      inputs.push_back({node.name, std::move(sample)});
    } catch (...) {
      rethrow_with_context(node_context(node));
    }
  }
  if (inputs.empty()) throw Error("the net has no Input layer");
  const int64_t batch = json::apply_input_overrides(inputs, *file_batch, options);

  std::vector<json::GraphNode> graph;
  for (const auto& node : nodes) graph.push_back({node.name, node.parents});
  Network net(name, batch);
  PaleoBuilder builder(net, options);
  for (size_t index : json::topological_order(graph)) {
    const PaleoNode& node = nodes[index];
    const Shape* sample = nullptr;
    for (const auto& input : inputs) {
      if (input.name == node.name) sample = &input.sample_shape;
    }
    try {
      builder.add(node, sample);
    } catch (...) {
      rethrow_with_context(node_context(node));
    }
  }
  net.infer_shapes();
  return net;
}

}  // namespace

Network parse_paleo_json(const std::string& text, const std::string& display_name,
                         const ImportOptions& options) {
  try {
    return build_paleo_network(json::parse_strict(text), display_name, options);
  } catch (...) {
    rethrow_with_context(display_name);
  }
}

Network import_paleo(const std::string& path, const ImportOptions& options) {
  return parse_paleo_json(read_text_file(path), path, options);
}

bool is_paleo_json(const std::string& text) {
  const Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) return false;
  const auto layers = document.find("layers");
  return layers != document.end() && layers->is_object();
}

}  // namespace np
