#include "neuralpower/features.hpp"

#include <algorithm>
#include <cmath>

#include "neuralpower/cost.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

// Memory-access special terms in elements (not bytes) so that one model serves any data type
// of a platform; the platform's data type is recorded with the model.
const std::vector<FeatureSpec>& specs() {
  static const std::vector<FeatureSpec> table{
      // The authors' code used [N, H_out, W_out, k_w, C_in, C_out, H_in]; we add the kernel
      // height, stride and groups so that strided, non-square and grouped/depthwise
      // convolutions are told apart.
      {LayerKind::conv,
       {"batch", "in_channels", "in_height", "out_channels", "out_height", "out_width", "kernel_h",
        "kernel_w", "stride", "groups"},
       {"flops", "input_elements", "output_elements", "weight_elements"}},
      {LayerKind::fc,
       {"batch", "in_features", "out_features"},
       {"flops", "input_elements", "output_elements", "weight_elements"}},
      {LayerKind::pool,
       {"batch", "in_channels", "in_height", "out_height", "kernel_h", "stride", "is_avg"},
       {"flops", "input_elements", "output_elements"}},
      {LayerKind::bn, {"batch", "in_channels", "spatial"}, {"input_elements"}},
      {LayerKind::act,
       {"batch", "in_channels", "spatial", "flops_per_element"},
       {"flops", "input_elements"}},
      {LayerKind::add, {"batch", "elements_per_sample", "operands"}, {"input_elements"}},
      {LayerKind::mul, {"batch", "elements_per_sample", "operands"}, {"input_elements"}},
      {LayerKind::max, {"batch", "elements_per_sample", "operands"}, {"input_elements"}},
      {LayerKind::concat, {"batch", "elements_per_sample", "operands"}, {"output_elements"}},
      {LayerKind::lrn, {"batch", "in_channels", "spatial", "window"}, {"flops", "input_elements"}},
      {LayerKind::softmax, {"rows", "row_length"}, {"input_elements"}},
      {LayerKind::layernorm, {"rows", "row_length"}, {"input_elements", "weight_elements"}},
      {LayerKind::transpose, {"batch", "elements_per_sample"}, {"input_elements"}},
      {LayerKind::slice, {"batch", "elements_per_sample"}, {"output_elements"}},
      // Last, with existing names only, so that the dataset's columns keep their order. A
      // product of `batch` matrices [rows x in_features] by [in_features x out_features].
      {LayerKind::matmul,
       {"batch", "rows", "in_features", "out_features"},
       {"flops", "input_elements", "output_elements", "weight_elements"}},
      // flops_per_element tells bilinear (7) from nearest (0).
      {LayerKind::resize,
       {"batch", "in_channels", "in_height", "out_height", "flops_per_element"},
       {"flops", "input_elements", "output_elements"}},
  };
  return table;
}

double d(int64_t v) { return static_cast<double>(v); }

int64_t spatial_of(const Shape& s) {
  int64_t n = 1;
  for (size_t i = 2; i < s.size(); ++i) n *= s[i];
  return n;
}

}  // namespace

FeatureValues& FeatureValues::operator=(std::initializer_list<double> values) {
  if (values.size() > kCapacity) throw Error("internal: too many features");
  size_ = 0;
  for (double v : values) values_[size_++] = v;
  return *this;
}

void FeatureValues::push_back(double value) {
  if (size_ == kCapacity) throw Error("internal: too many features");
  values_[size_++] = value;
}

const std::vector<LayerKind>& modelled_kinds() {
  static const std::vector<LayerKind> kinds = [] {
    std::vector<LayerKind> k;
    for (const auto& spec : specs()) k.push_back(spec.kind);
    return k;
  }();
  return kinds;
}

bool is_modelled_kind(LayerKind kind) {
  const auto& kinds = modelled_kinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

const FeatureSpec& feature_spec(LayerKind kind) {
  for (const auto& spec : specs()) {
    if (spec.kind == kind) return spec;
  }
  throw Error("layer kind '" + std::string(to_string(kind)) + "' has no runtime/power model");
}

const std::vector<std::string>& all_feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const auto& spec : specs()) {
      for (const auto* list : {&spec.features, &spec.specials}) {
        for (const auto& name : *list) {
          if (std::find(all.begin(), all.end(), name) == all.end()) all.push_back(name);
        }
      }
    }
    return all;
  }();
  return names;
}

LayerFeatures layer_features(const Network& net, int id) {
  const Layer& layer = net.layer(id);
  const FeatureSpec& spec = feature_spec(layer.kind);
  const LayerCost cost = layer_cost(net, id);
  const Shape& out = layer.output_shape;
  const Shape& in = net.layer(layer.inputs.at(0)).output_shape;
  const int64_t in_elements = element_count(in);
  const int64_t out_elements = element_count(out);
  int64_t all_inputs = 0;
  for (int input : layer.inputs) all_inputs += element_count(net.layer(input).output_shape);

  LayerFeatures f;
  switch (layer.kind) {
    case LayerKind::conv: {
      const auto& a = std::get<ConvAttrs>(layer.attrs);
      f.features = {d(in[0]),  d(in[1]),      d(in[2]),      d(out[1]),     d(out[2]),
                    d(out[3]), d(a.kernel_h), d(a.kernel_w), d(a.stride_h), d(a.groups)};
      f.specials = {d(cost.flops), d(in_elements), d(out_elements), d(conv_weight_elements(a, in))};
      break;
    }
    case LayerKind::fc: {
      const int64_t k = in.back();
      f.features = {d(in_elements / k), d(k), d(out.back())};
      f.specials = {d(cost.flops), d(in_elements), d(out_elements), d(cost.params)};
      break;
    }
    case LayerKind::matmul: {
      const auto& a = std::get<MatmulAttrs>(layer.attrs);
      const int64_t rows = out[out.size() - 2], columns = out.back();
      const int64_t inner = a.transpose_a ? in[in.size() - 2] : in.back();
      f.features = {d(out_elements / (rows * columns)), d(rows), d(inner), d(columns)};
      f.specials = {d(cost.flops), d(all_inputs), d(out_elements), d(cost.params)};
      break;
    }
    case LayerKind::pool: {
      const auto& a = std::get<PoolAttrs>(layer.attrs);
      const int64_t kernel = a.global ? in[2] : a.kernel_h;
      const int64_t stride = a.global ? in[2] : a.stride_h;
      f.features = {d(in[0]),
                    d(in[1]),
                    d(in[2]),
                    d(out[2]),
                    d(kernel),
                    d(stride),
                    a.mode == PoolMode::avg ? 1.0 : 0.0};
      f.specials = {d(cost.flops), d(in_elements), d(out_elements)};
      break;
    }
    case LayerKind::resize:
      f.features = {d(in[0]), d(in[1]), d(in[2]), d(out[2]), d(cost.flops) / d(out_elements)};
      f.specials = {d(cost.flops), d(in_elements), d(out_elements)};
      break;
    case LayerKind::bn:
      f.features = {d(in[0]), d(in[1]), d(spatial_of(in))};
      f.specials = {d(in_elements)};
      break;
    case LayerKind::act:
      f.features = {d(in[0]), d(in.size() > 1 ? in[1] : 1), d(spatial_of(in)),
                    d(cost.flops) / d(out_elements)};
      f.specials = {d(cost.flops), d(in_elements)};
      break;
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max: {
      const auto& a = std::get<EltwiseAttrs>(layer.attrs);
      f.features = {d(out[0]), d(out_elements / out[0]),
                    d(static_cast<int64_t>(layer.inputs.size() + a.constant_operands.size()))};
      f.specials = {d(all_inputs)};
      break;
    }
    case LayerKind::concat:
      f.features = {d(out[0]), d(out_elements / out[0]),
                    d(static_cast<int64_t>(layer.inputs.size()))};
      f.specials = {d(out_elements)};
      break;
    case LayerKind::lrn:
      f.features = {d(in[0]), d(in[1]), d(spatial_of(in)), d(std::get<LrnAttrs>(layer.attrs).size)};
      f.specials = {d(cost.flops), d(in_elements)};
      break;
    case LayerKind::softmax:
    case LayerKind::layernorm: {
      int64_t axis = layer.kind == LayerKind::softmax ? std::get<SoftmaxAttrs>(layer.attrs).axis
                                                      : std::get<LayerNormAttrs>(layer.attrs).axis;
      if (axis < 0) axis += static_cast<int64_t>(in.size());
      int64_t row = 1;
      for (size_t i = static_cast<size_t>(axis); i < in.size(); ++i) row *= in[i];
      f.features = {d(in_elements / row), d(row)};
      f.specials = {d(in_elements)};
      if (layer.kind == LayerKind::layernorm) f.specials.push_back(d(cost.params));
      break;
    }
    case LayerKind::transpose:
      f.features = {d(out[0]), d(out_elements / out[0])};
      f.specials = {d(in_elements)};
      break;
    case LayerKind::slice:
      f.features = {d(out[0]), d(out_elements / out[0])};
      f.specials = {d(out_elements)};
      break;
    default:
      break;
  }
  if (f.features.size() != spec.features.size() || f.specials.size() != spec.specials.size()) {
    throw Error("internal: feature count mismatch for kind " + std::string(to_string(layer.kind)));
  }
  return f;
}

std::map<std::string, double> named_features(const Network& net, int id) {
  const FeatureSpec& spec = feature_spec(net.layer(id).kind);
  const LayerFeatures f = layer_features(net, id);
  std::map<std::string, double> named;
  for (size_t i = 0; i < f.features.size(); ++i) named[spec.features[i]] = f.features[i];
  for (size_t i = 0; i < f.specials.size(); ++i) named[spec.specials[i]] = f.specials[i];
  return named;
}

FeatureValues power_feature_values(std::span<const double> runtime_features) {
  FeatureValues x;
  for (double v : runtime_features) x.push_back(v);
  for (double v : runtime_features) x.push_back(log_feature(v));
  return x;
}

std::vector<double> power_features(std::span<const double> runtime_features) {
  std::vector<double> x(runtime_features.begin(), runtime_features.end());
  for (double v : runtime_features) x.push_back(log_feature(v));
  return x;
}

WorkAndTraffic work_and_traffic(LayerKind kind, std::span<const double> specials) {
  const FeatureSpec& spec = feature_spec(kind);
  WorkAndTraffic w;
  for (size_t i = 0; i < spec.specials.size() && i < specials.size(); ++i) {
    if (spec.specials[i] == "flops") {
      w.flops = specials[i];
    } else {
      w.elements += specials[i];
    }
  }
  return w;
}

}  // namespace np
