#include "backends/cpu/layer_program.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/common/canonical_data.hpp"
#include "neuralpower/network.hpp"

namespace np::cpu {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;
constexpr auto kInference = dnnl::prop_kind::forward_inference;

int64_t product(const Shape& shape, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < shape.size(); ++i) p *= shape[i];
  return p;
}

// Rank-n tensors seen by the normalisation primitives as N x C x rest x 1.
Shape as_nc_rest(const Shape& shape) {
  return {shape[0], shape[1], product(shape, 2, shape.size()), 1};
}

int64_t normalized_axis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  return axis < 0 ? axis + r : axis;
}

// The right (bottom) padding that makes oneDNN's floor formula give `out` windows: ceil mode
// asks for one more window than the floor of the user's padding gives.
int64_t consistent_pad_end(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t kernel,
                           int64_t stride, int64_t out) {
  const int64_t span = in + pad_begin + pad_end - kernel;
  if (span >= 0 && span / stride + 1 == out) return pad_end;
  return (out - 1) * stride + kernel - in - pad_begin;
}

memory view(const memory::desc& desc, const dnnl::engine& engine, const memory& buffer) {
  return memory(desc, engine, buffer.get_data_handle());
}

class Builder {
 public:
  Builder(CpuContext& ctx, const Layer& layer, const std::vector<TensorRef>& inputs,
          const TensorRef& output)
      : ctx_(ctx), layer_(layer), inputs_(inputs), output_(output) {}

  LayerProgram build() {
    switch (layer_.kind) {
      case LayerKind::conv:
        conv();
        break;
      case LayerKind::pool:
        pool();
        break;
      case LayerKind::fc:
        fc();
        break;
      case LayerKind::matmul:
        matmul();
        break;
      case LayerKind::bn:
        batch_norm();
        break;
      case LayerKind::act:
        activation();
        break;
      case LayerKind::add:
      case LayerKind::mul:
      case LayerKind::max:
        eltwise();
        break;
      case LayerKind::concat:
        concat();
        break;
      case LayerKind::lrn:
        lrn();
        break;
      case LayerKind::softmax:
        softmax();
        break;
      case LayerKind::layernorm:
        layer_norm();
        break;
      case LayerKind::transpose:
        transpose();
        break;
      case LayerKind::slice:
        slice();
        break;
      case LayerKind::resize:
        resize();
        break;
      case LayerKind::reshape:
      case LayerKind::flatten:
        // Only reached when the input is channels-last: the view needs plain order first.
        reorder_to(input(0).memory,
                   view(plain_desc(input(0).shape, ctx_.type), ctx_.engine, output_.memory));
        break;
      case LayerKind::dropout:
      case LayerKind::identity:
      case LayerKind::cast:
      case LayerKind::input:
      case LayerKind::unknown:
        break;
    }
    return std::move(program_);
  }

 private:
  const TensorRef& input(size_t k) const {
    if (k >= inputs_.size()) {
      throw Error("has " + std::to_string(inputs_.size()) + " inputs, needs at least " +
                  std::to_string(k + 1));
    }
    return inputs_[k];
  }

  dnnl::primitive_attr attr() const {
    dnnl::primitive_attr attributes;
    // Scratchpads are allocated here, at prepare time, never while timing.
    attributes.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return attributes;
  }

  memory own(const memory::desc& desc, const std::string& what) {
    memory m = allocate(desc, ctx_.engine, ctx_.budget, what);
    program_.owned.push_back(m);
    return m;
  }

  template <typename Primitive, typename PrimitiveDesc>
  void add_step(const PrimitiveDesc& pd, std::unordered_map<int, memory> args) {
    const memory::desc scratchpad = pd.scratchpad_desc();
    if (scratchpad.get_size() > 0) args[DNNL_ARG_SCRATCHPAD] = own(scratchpad, "scratchpad");
    program_.steps.push_back({Primitive(pd), std::move(args), pd.impl_info_str()});
  }

  void reorder_to(const memory& from, const memory& to) {
    const dnnl::reorder::primitive_desc pd(ctx_.engine, from.get_desc(), ctx_.engine, to.get_desc(),
                                           attr());
    add_step<dnnl::reorder>(pd, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
  }

  // A temporary in `desc` that a reorder step fills from `from` on every run.
  memory reordered(const memory& from, const memory::desc& desc, const std::string& what) {
    memory to = own(desc, what);
    reorder_to(from, to);
    return to;
  }

  // The input as a plain row-major tensor: itself, or a copy made on every run.
  memory plain_input(size_t k) {
    const TensorRef& x = input(k);
    if (is_physically_plain(x.shape, x.layout)) return x.memory;
    return reordered(x.memory, plain_desc(x.shape, ctx_.type), "input in plain layout");
  }

  // A parameter in the layout the primitive chose, filled with its canonical values.
  memory parameter(const memory::desc& desc, const CanonicalTensor& tensor) {
    memory m = own(desc, tensor.name);
    write_tensor(ctx_, m, tensor.shape, tensor.values());
    return m;
  }

  std::vector<CanonicalTensor> parameters() const {
    std::vector<Shape> shapes;
    for (const auto& x : inputs_) shapes.push_back(x.shape);
    return canonical_parameters(layer_, shapes);
  }

  void conv() {
    const auto& a = std::get<ConvAttrs>(layer_.attrs);
    const TensorRef& x = input(0);
    const auto params = parameters();
    const memory::desc src_desc = tensor_desc(x.shape, Layout::channels_last, ctx_.type);
    const memory src = x.layout == Layout::channels_last
                           ? x.memory
                           : reordered(x.memory, src_desc, "input in channels-last layout");
    const int64_t groups = a.groups, out_c = a.out_channels, in_c = x.shape[1];
    const memory::dims weight_dims =
        groups == 1 ? memory::dims{out_c, in_c, a.kernel_h, a.kernel_w}
                    : memory::dims{groups, out_c / groups, in_c / groups, a.kernel_h, a.kernel_w};
    const memory::desc weights_any(weight_dims, ctx_.type, tag::any);
    const memory::desc bias_desc({out_c}, dt::f32, tag::a);
    const memory::dims strides{a.stride_h, a.stride_w};
    const memory::dims dilates{a.dilation_h - 1, a.dilation_w - 1};
    const memory::dims pad_l{a.pad_top, a.pad_left}, pad_r{a.pad_bottom, a.pad_right};
    const memory::desc& dst_desc = output_.memory.get_desc();
    const auto algorithm = dnnl::algorithm::convolution_direct;
    const auto desc =
        a.bias
            ? dnnl::convolution_forward::desc(kInference, algorithm, src_desc, weights_any,
                                              bias_desc, dst_desc, strides, dilates, pad_l, pad_r)
            : dnnl::convolution_forward::desc(kInference, algorithm, src_desc, weights_any,
                                              dst_desc, strides, dilates, pad_l, pad_r);
    const dnnl::convolution_forward::primitive_desc pd(desc, attr(), ctx_.engine);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, src},
        {DNNL_ARG_WEIGHTS, parameter(pd.weights_desc(), params[0])},
        {DNNL_ARG_DST, output_.memory}};
    if (a.bias) args[DNNL_ARG_BIAS] = parameter(bias_desc, params[1]);
    add_step<dnnl::convolution_forward>(pd, std::move(args));
  }

  void pool() {
    const auto& a = std::get<PoolAttrs>(layer_.attrs);
    const TensorRef& x = input(0);
    const int64_t in_h = x.shape[2], in_w = x.shape[3];
    const int64_t out_h = output_.shape[2], out_w = output_.shape[3];
    memory::dims kernel{a.kernel_h, a.kernel_w}, strides{a.stride_h, a.stride_w};
    memory::dims pad_l{a.pad_top, a.pad_left}, pad_r{0, 0};
    if (a.global) {
      kernel = {in_h, in_w};
      strides = {1, 1};
      pad_l = {0, 0};
    } else {
      pad_r = {consistent_pad_end(in_h, a.pad_top, a.pad_bottom, a.kernel_h, a.stride_h, out_h),
               consistent_pad_end(in_w, a.pad_left, a.pad_right, a.kernel_w, a.stride_w, out_w)};
    }
    const bool include_pad = a.count_include_pad && !a.global;
    const auto algorithm = a.mode == PoolMode::max ? dnnl::algorithm::pooling_max
                           : include_pad           ? dnnl::algorithm::pooling_avg_include_padding
                                                   : dnnl::algorithm::pooling_avg_exclude_padding;
    const dnnl::pooling_forward::desc desc(kInference, algorithm, x.memory.get_desc(),
                                           output_.memory.get_desc(), strides, kernel, pad_l,
                                           pad_r);
    const dnnl::pooling_forward::primitive_desc pd(desc, attr(), ctx_.engine);
    add_step<dnnl::pooling_forward>(pd, {{DNNL_ARG_SRC, x.memory}, {DNNL_ARG_DST, output_.memory}});
    const bool extra_padding = pad_r[0] > a.pad_bottom || pad_r[1] > a.pad_right;
    if (a.mode == PoolMode::avg && include_pad && extra_padding) {
      correct_ceil_mode_divisors(a, in_h, in_w, out_h, out_w);
    }
  }

  // oneDNN divides every window by kh*kw when padding counts; PyTorch and ONNX count only the
  // part of the last (ceil mode) window inside the user's padding. Rescale those outputs.
  void correct_ceil_mode_divisors(const PoolAttrs& a, int64_t in_h, int64_t in_w, int64_t out_h,
                                  int64_t out_w) {
    const memory::desc factor_desc({1, 1, out_h, out_w}, dt::f32, tag::abcd);
    memory factors = own(factor_desc, "ceil-mode divisor factors");
    auto* f = static_cast<float*>(factors.get_data_handle());
    for (int64_t oh = 0; oh < out_h; ++oh) {
      const int64_t h0 = oh * a.stride_h - a.pad_top;
      const int64_t h = std::min(h0 + a.kernel_h, in_h + a.pad_bottom) - h0;
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const int64_t w0 = ow * a.stride_w - a.pad_left;
        const int64_t w = std::min(w0 + a.kernel_w, in_w + a.pad_right) - w0;
        f[oh * out_w + ow] =
            static_cast<float>(static_cast<double>(a.kernel_h * a.kernel_w) / (h * w));
      }
    }
    const memory::desc& dst_desc = output_.memory.get_desc();
    const dnnl::binary::desc desc(dnnl::algorithm::binary_mul, dst_desc, factor_desc, dst_desc);
    const dnnl::binary::primitive_desc pd(desc, attr(), ctx_.engine);
    add_step<dnnl::binary>(pd, {{DNNL_ARG_SRC_0, output_.memory},
                                {DNNL_ARG_SRC_1, factors},
                                {DNNL_ARG_DST, output_.memory}});
  }

  void fc() {
    const auto& a = std::get<FcAttrs>(layer_.attrs);
    const TensorRef& x = input(0);
    const auto params = parameters();
    const int64_t in_features = x.shape.back();
    const int64_t rows = element_count(x.shape) / in_features;
    const memory::desc src_desc = plain_desc({rows, in_features}, ctx_.type);
    const memory::desc dst_desc = plain_desc({rows, a.out_features}, ctx_.type);
    const memory::desc weights_any({a.out_features, in_features}, ctx_.type, tag::any);
    const memory::desc bias_desc({a.out_features}, dt::f32, tag::a);
    const auto desc =
        a.bias ? dnnl::inner_product_forward::desc(kInference, src_desc, weights_any, bias_desc,
                                                   dst_desc)
               : dnnl::inner_product_forward::desc(kInference, src_desc, weights_any, dst_desc);
    const dnnl::inner_product_forward::primitive_desc pd(desc, attr(), ctx_.engine);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, view(src_desc, ctx_.engine, plain_input(0))},
        {DNNL_ARG_WEIGHTS, parameter(pd.weights_desc(), params[0])},
        {DNNL_ARG_DST, view(dst_desc, ctx_.engine, output_.memory)}};
    if (a.bias) args[DNNL_ARG_BIAS] = parameter(bias_desc, params[1]);
    add_step<dnnl::inner_product_forward>(pd, std::move(args));
  }

  // An operand of oneDNN's matmul: the stored row-major tensor, padded with leading 1s to the
  // output's rank, seen through swapped strides when it is transposed.
  memory::desc matmul_operand(const Shape& stored, bool transposed, size_t rank) const {
    Shape dims_of(rank - stored.size(), 1);
    dims_of.insert(dims_of.end(), stored.begin(), stored.end());
    memory::dims dims(dims_of.begin(), dims_of.end()), strides(rank, 1);
    for (size_t i = rank - 1; i-- > 0;) strides[i] = strides[i + 1] * dims[i + 1];
    if (transposed) {
      std::swap(dims[rank - 1], dims[rank - 2]);
      std::swap(strides[rank - 1], strides[rank - 2]);
    }
    return memory::desc(dims, ctx_.type, strides);
  }

  void matmul() {
    const auto& a = std::get<MatmulAttrs>(layer_.attrs);
    const size_t rank = output_.shape.size();
    const memory::desc src_desc = matmul_operand(input(0).shape, a.transpose_a, rank);
    const Shape& b_shape = a.constant_b.empty() ? input(1).shape : a.constant_b;
    const memory::desc weights_desc = matmul_operand(b_shape, a.transpose_b, rank);
    const memory::desc dst_desc = plain_desc(output_.shape, ctx_.type);
    const dnnl::matmul::desc desc(src_desc, weights_desc, dst_desc);
    const dnnl::matmul::primitive_desc pd(desc, attr(), ctx_.engine);
    // A constant B holds its canonical values in its own row-major order.
    const memory stored = a.constant_b.empty()
                              ? plain_input(1)
                              : parameter(matmul_operand(b_shape, false, rank), parameters()[0]);
    const memory weights = view(weights_desc, ctx_.engine, stored);
    add_step<dnnl::matmul>(pd, {{DNNL_ARG_SRC, view(src_desc, ctx_.engine, plain_input(0))},
                                {DNNL_ARG_WEIGHTS, weights},
                                {DNNL_ARG_DST, view(dst_desc, ctx_.engine, output_.memory)}});
  }

  // Batch norm and LRN see any rank as N x C x rest x 1; channels-last stays as it is.
  memory::desc normalization_desc(const TensorRef& x) const {
    if (x.layout == Layout::channels_last) return x.memory.get_desc();
    return plain_desc(as_nc_rest(x.shape), ctx_.type);
  }

  void batch_norm() {
    const auto& a = std::get<BnAttrs>(layer_.attrs);
    const TensorRef& x = input(0);
    const auto params = parameters();
    const memory::desc desc = normalization_desc(x);
    using flags = dnnl::normalization_flags;
    const dnnl::batch_normalization_forward::desc bn_desc(
        kInference, desc, static_cast<float>(a.epsilon),
        flags::use_global_stats | flags::use_scale | flags::use_shift);
    const dnnl::batch_normalization_forward::primitive_desc pd(bn_desc, attr(), ctx_.engine);
    const memory::desc channel_desc({x.shape[1]}, dt::f32, tag::a);
    add_step<dnnl::batch_normalization_forward>(
        pd, {{DNNL_ARG_SRC, view(desc, ctx_.engine, x.memory)},
             {DNNL_ARG_DST, view(desc, ctx_.engine, output_.memory)},
             {DNNL_ARG_SCALE, parameter(channel_desc, params[0])},
             {DNNL_ARG_SHIFT, parameter(channel_desc, params[1])},
             {DNNL_ARG_MEAN, parameter(pd.mean_desc(), params[2])},
             {DNNL_ARG_VARIANCE, parameter(pd.variance_desc(), params[3])}});
  }

  void eltwise_step(dnnl::algorithm algorithm, float alpha, float beta, const memory& src) {
    const dnnl::eltwise_forward::desc desc(kInference, algorithm, src.get_desc(), alpha, beta);
    const dnnl::eltwise_forward::primitive_desc pd(desc, attr(), ctx_.engine);
    add_step<dnnl::eltwise_forward>(pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, output_.memory}});
  }

  void activation() {
    const auto& a = std::get<ActAttrs>(layer_.attrs);
    const memory& src = input(0).memory;
    const auto alpha = static_cast<float>(a.alpha), beta = static_cast<float>(a.beta);
    using alg = dnnl::algorithm;
    switch (a.function) {
      case Activation::relu:
        return eltwise_step(alg::eltwise_relu, 0.f, 0.f, src);
      case Activation::leaky_relu:
        return eltwise_step(alg::eltwise_relu, alpha, 0.f, src);
      case Activation::clip:
        return eltwise_step(alg::eltwise_clip_v2, alpha, beta, src);
      case Activation::sigmoid:
        return eltwise_step(alg::eltwise_logistic, 0.f, 0.f, src);
      case Activation::hard_sigmoid:
        // oneDNN 2.6 has no hardsigmoid: alpha*x + beta, then clipped to [0, 1] in place.
        eltwise_step(alg::eltwise_linear, alpha, beta, src);
        return eltwise_step(alg::eltwise_clip_v2, 0.f, 1.f, output_.memory);
      case Activation::hard_swish:
        return eltwise_step(alg::eltwise_hardswish, 0.f, 0.f, src);
      case Activation::gelu:
        return eltwise_step(alg::eltwise_gelu_erf, 0.f, 0.f, src);
      case Activation::silu:
        return eltwise_step(alg::eltwise_swish, 1.f, 0.f, src);
      case Activation::tanh:
        return eltwise_step(alg::eltwise_tanh, 0.f, 0.f, src);
    }
    throw UnsupportedLayer("activation " + std::string(to_string(a.function)));
  }

  // numpy broadcasting as a chain of oneDNN binaries, which broadcast only their second
  // operand: the first operand is one of full output shape (or the operation's identity).
  void eltwise() {
    const auto& out_shape = output_.shape;
    const size_t rank = out_shape.size();
    struct Operand {
      memory data;
      Shape shape;
    };
    std::vector<Operand> operands;
    for (const auto& x : inputs_) operands.push_back({x.memory, x.shape});
    for (auto tensor : parameters()) {
      if (tensor.shape.empty()) tensor.shape = {1};  // a scalar (attention's 1/sqrt(d)): one value
      memory m = parameter(plain_desc(tensor.shape, ctx_.type), tensor);
      operands.push_back({m, tensor.shape});
    }
    // oneDNN wants equal ranks: leading 1s, as numpy aligns shapes on the right.
    for (auto& op : operands) {
      if (op.shape.size() > rank) throw Error("operand of rank above the output's");
      Shape padded(rank - op.shape.size(), 1);
      padded.insert(padded.end(), op.shape.begin(), op.shape.end());
      if (padded.size() != op.shape.size()) {
        op.data = view(op.data.get_desc().reshape(to_dims(padded)), ctx_.engine, op.data);
        op.shape = padded;
      }
    }
    const auto full = std::find_if(operands.begin(), operands.end(),
                                   [&](const Operand& op) { return op.shape == out_shape; });
    dnnl::algorithm algorithm = dnnl::algorithm::binary_add;
    float identity = 0.f;
    if (layer_.kind == LayerKind::mul) {
      algorithm = dnnl::algorithm::binary_mul;
      identity = 1.f;
    } else if (layer_.kind == LayerKind::max) {
      algorithm = dnnl::algorithm::binary_max;
      identity = -std::numeric_limits<float>::infinity();
    }
    memory first;
    if (full != operands.end()) {
      first = full->data;
      operands.erase(full);
    } else {
      first = own(output_.memory.get_desc(), "broadcast identity operand");
      write_tensor(ctx_, first, out_shape,
                   std::vector<float>(static_cast<size_t>(element_count(out_shape)), identity));
    }
    const memory::desc& dst_desc = output_.memory.get_desc();
    for (const auto& op : operands) {
      const dnnl::binary::desc desc(algorithm, first.get_desc(), op.data.get_desc(), dst_desc);
      const dnnl::binary::primitive_desc pd(desc, attr(), ctx_.engine);
      add_step<dnnl::binary>(
          pd, {{DNNL_ARG_SRC_0, first}, {DNNL_ARG_SRC_1, op.data}, {DNNL_ARG_DST, output_.memory}});
      first = output_.memory;  // later operands accumulate in place
    }
  }

  // Constant operands (ViT's class token) come first, each broadcast over dim 0 once when the
  // layer is prepared: the concat then reads N copies of a token where torch's expand reads
  // one, a difference of one token in the ~200 a sample holds.
  void concat() {
    const auto axis =
        normalized_axis(std::get<ConcatAttrs>(layer_.attrs).axis, output_.shape.size());
    std::vector<memory> operands;
    for (const auto& tensor : parameters()) {
      Shape broadcast = tensor.shape;
      broadcast.at(0) = output_.shape.at(0);
      const std::vector<float> one = tensor.values();
      std::vector<float> values;
      values.reserve(static_cast<size_t>(element_count(broadcast)));
      for (int64_t n = 0; n < broadcast[0]; ++n)
        values.insert(values.end(), one.begin(), one.end());
      memory m = own(plain_desc(broadcast, ctx_.type), tensor.name);
      write_tensor(ctx_, m, broadcast, values);
      operands.push_back(m);
    }
    for (const auto& x : inputs_) operands.push_back(x.memory);
    std::vector<memory::desc> sources;
    std::unordered_map<int, memory> args{{DNNL_ARG_DST, output_.memory}};
    for (size_t k = 0; k < operands.size(); ++k) {
      sources.push_back(operands[k].get_desc());
      args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k)] = operands[k];
    }
    const dnnl::concat::primitive_desc pd(output_.memory.get_desc(), static_cast<int>(axis),
                                          sources, ctx_.engine, attr());
    add_step<dnnl::concat>(pd, std::move(args));
  }

  void lrn() {
    const auto& a = std::get<LrnAttrs>(layer_.attrs);
    if (a.size <= 0 || a.size % 2 == 0) {
      // ONNX, PyTorch and oneDNN centre an even window differently.
      throw UnsupportedLayer("lrn size " + std::to_string(a.size) +
                             " (the cpu backend needs an odd, positive window)");
    }
    const TensorRef& x = input(0);
    const memory::desc desc = normalization_desc(x);
    const dnnl::lrn_forward::desc lrn_desc(kInference, dnnl::algorithm::lrn_across_channels, desc,
                                           a.size, static_cast<float>(a.alpha),
                                           static_cast<float>(a.beta), static_cast<float>(a.bias));
    const dnnl::lrn_forward::primitive_desc pd(lrn_desc, attr(), ctx_.engine);
    add_step<dnnl::lrn_forward>(pd, {{DNNL_ARG_SRC, view(desc, ctx_.engine, x.memory)},
                                     {DNNL_ARG_DST, view(desc, ctx_.engine, output_.memory)}});
  }

  void softmax() {
    const TensorRef& x = input(0);
    const auto axis = normalized_axis(std::get<SoftmaxAttrs>(layer_.attrs).axis, x.shape.size());
    const dnnl::softmax_forward::desc desc(kInference, x.memory.get_desc(), static_cast<int>(axis));
    const dnnl::softmax_forward::primitive_desc pd(desc, attr(), ctx_.engine);
    add_step<dnnl::softmax_forward>(pd, {{DNNL_ARG_SRC, x.memory}, {DNNL_ARG_DST, output_.memory}});
  }

  void layer_norm() {
    const auto& a = std::get<LayerNormAttrs>(layer_.attrs);
    const TensorRef& x = input(0);
    const auto params = parameters();
    // oneDNN normalises over the last dim: fold the normalised dims into one.
    const auto axis = static_cast<size_t>(normalized_axis(a.axis, x.shape.size()));
    const int64_t inner = product(x.shape, axis, x.shape.size());
    const memory::desc desc = plain_desc({element_count(x.shape) / inner, inner}, ctx_.type);
    using flags = dnnl::normalization_flags;
    const flags use = a.affine ? flags::use_scale | flags::use_shift : flags::none;
    const dnnl::layer_normalization_forward::desc ln_desc(kInference, desc,
                                                          static_cast<float>(a.epsilon), use);
    const dnnl::layer_normalization_forward::primitive_desc pd(ln_desc, attr(), ctx_.engine);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, view(desc, ctx_.engine, plain_input(0))},
                                         {DNNL_ARG_DST, view(desc, ctx_.engine, output_.memory)}};
    if (a.affine) {
      const memory::desc affine_desc({inner}, dt::f32, tag::a);
      args[DNNL_ARG_SCALE] = parameter(affine_desc, params[0]);
      args[DNNL_ARG_SHIFT] = parameter(affine_desc, params[1]);
    }
    // Statistics, when the implementation wants them as outputs even in inference.
    if (pd.mean_desc().get_size() > 0) args[DNNL_ARG_MEAN] = own(pd.mean_desc(), "mean");
    if (pd.variance_desc().get_size() > 0) {
      args[DNNL_ARG_VARIANCE] = own(pd.variance_desc(), "variance");
    }
    add_step<dnnl::layer_normalization_forward>(pd, std::move(args));
  }

  void transpose() {
    const auto& attrs = std::get<TransposeAttrs>(layer_.attrs);
    if (attrs.leading_in == 0) {
      // The output buffer (plain in the output's dim order) described over the input's dims:
      // output dim i is input dim perm[i].
      const std::vector<int> permutation(attrs.perm.begin(), attrs.perm.end());
      const memory::desc out_as_input =
          plain_desc(output_.shape, ctx_.type).permute_axes(permutation);
      reorder_to(input(0).memory, view(out_as_input, ctx_.engine, output_.memory));
      return;
    }
    // Per replica: the same over plain views of one more dim (the replicas in front).
    const PlainTranspose plain = plain_transpose(attrs, input(0).shape);
    Shape plain_out;
    for (int64_t p : plain.perm) plain_out.push_back(plain.input[static_cast<size_t>(p)]);
    const std::vector<int> permutation(plain.perm.begin(), plain.perm.end());
    const memory::desc out_as_input = plain_desc(plain_out, ctx_.type).permute_axes(permutation);
    const memory x = plain_input(0);
    reorder_to(view(plain_desc(plain.input, ctx_.type), ctx_.engine, x),
               view(out_as_input, ctx_.engine, output_.memory));
  }

  void slice() {
    const auto& a = std::get<SliceAttrs>(layer_.attrs);
    const TensorRef& x = input(0);
    const memory::desc& in_desc = x.memory.get_desc();
    const auto axis = static_cast<size_t>(normalized_axis(a.axis, x.shape.size()));
    const int64_t dim = x.shape[axis];
    const int64_t start = std::clamp(a.start < 0 ? a.start + dim : a.start, int64_t{0}, dim);
    // The selected elements described in place: the input's strides, the axis' scaled by step.
    const auto& blocking = in_desc.data.format_desc.blocking;
    if (in_desc.data.format_kind != dnnl_blocked || blocking.inner_nblks != 0) {
      throw UnsupportedLayer("slice of a blocked layout");
    }
    memory::dims strides(blocking.strides, blocking.strides + x.shape.size());
    const int64_t first = start * strides[axis];
    strides[axis] *= a.step;
    const memory::desc selected(to_dims(output_.shape), ctx_.type, strides);
    const size_t element_size = ctx_.type == dt::bf16 ? 2 : 4;
    auto* base = static_cast<char*>(x.memory.get_data_handle()) +
                 (in_desc.data.offset0 + first) * static_cast<int64_t>(element_size);
    reorder_to(memory(selected, ctx_.engine, base), output_.memory);
  }

  // oneDNN maps output index o to the input coordinate (o + 0.5) in / out - 0.5: half-pixel
  // centres, the mapping of torch's align_corners=False.
  void resize() {
    const auto& a = std::get<ResizeAttrs>(layer_.attrs);
    const TensorRef& x = input(0);
    const auto algorithm = a.mode == ResizeMode::linear ? dnnl::algorithm::resampling_linear
                                                        : dnnl::algorithm::resampling_nearest;
    const dnnl::resampling_forward::desc desc(kInference, algorithm, x.memory.get_desc(),
                                              output_.memory.get_desc());
    const dnnl::resampling_forward::primitive_desc pd(desc, attr(), ctx_.engine);
    add_step<dnnl::resampling_forward>(pd,
                                       {{DNNL_ARG_SRC, x.memory}, {DNNL_ARG_DST, output_.memory}});
  }

  CpuContext& ctx_;
  const Layer& layer_;
  const std::vector<TensorRef>& inputs_;
  const TensorRef& output_;
  LayerProgram program_;
};

}  // namespace

Layout output_layout(const Layer& layer, const std::vector<Shape>& input_shapes,
                     const std::vector<Layout>& input_layouts) {
  const Layout first = input_layouts.empty() ? Layout::plain : input_layouts[0];
  switch (layer.kind) {
    case LayerKind::conv:
      return Layout::channels_last;
    case LayerKind::pool:
    case LayerKind::bn:
    case LayerKind::act:
    case LayerKind::lrn:
    case LayerKind::softmax:
    case LayerKind::slice:
    case LayerKind::resize:
    case LayerKind::dropout:
    case LayerKind::identity:
    case LayerKind::cast:
      return first;
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max:
      // The layout of the operand that the binary chain starts from (see Builder::eltwise).
      for (size_t k = 0; k < input_shapes.size() && k < input_layouts.size(); ++k) {
        if (input_shapes[k] == layer.output_shape) return input_layouts[k];
      }
      return Layout::plain;
    case LayerKind::concat: {
      const bool all_channels_last =
          !input_layouts.empty() &&
          std::all_of(input_layouts.begin(), input_layouts.end(),
                      [](Layout layout) { return layout == Layout::channels_last; });
      return all_channels_last ? Layout::channels_last : Layout::plain;
    }
    default:
      return Layout::plain;
  }
}

std::vector<Layout> network_layouts(const Network& net) {
  std::vector<Layout> layouts;
  layouts.reserve(static_cast<size_t>(net.size()));
  for (const auto& layer : net.layers()) {
    std::vector<Shape> shapes;
    std::vector<Layout> inputs;
    for (int id : layer.inputs) {
      shapes.push_back(net.layer(id).output_shape);
      inputs.push_back(layouts.at(static_cast<size_t>(id)));
    }
    layouts.push_back(output_layout(layer, shapes, inputs));
  }
  return layouts;
}

Layout handed_input_layout(const Layer& layer, const Shape& shape) {
  constexpr int64_t kImageChannels = 4;
  if (shape.size() != 4 || shape[1] <= kImageChannels) return Layout::plain;
  switch (layer.kind) {
    case LayerKind::conv:
    case LayerKind::pool:
    case LayerKind::bn:
    case LayerKind::act:
    case LayerKind::lrn:
    case LayerKind::concat:
    case LayerKind::resize:
      return Layout::channels_last;
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max:
      // One tensor scaled by constants (ConvNeXt's layer scale) follows a permute back to
      // NCHW, which leaves it plain; residual adds and squeeze-and-excitation products follow
      // convolutions.
      return layer.inputs.size() == 1 &&
                     !std::get<EltwiseAttrs>(layer.attrs).constant_operands.empty()
                 ? Layout::plain
                 : Layout::channels_last;
    case LayerKind::transpose: {
      const auto& perm = std::get<TransposeAttrs>(layer.attrs).perm;
      return perm == std::vector<int64_t>{0, 2, 3, 1} ? Layout::channels_last : Layout::plain;
    }
    default:
      return Layout::plain;
  }
}

std::vector<Layout> prepared_input_layouts(const Network& net, int layer_id) {
  const std::vector<Layout> layouts = network_layouts(net);
  const Layer& layer = net.layer(layer_id);
  std::vector<Layout> inputs;
  for (int input : layer.inputs) {
    const Layer& producer = net.layer(input);
    inputs.push_back(producer.kind == LayerKind::input
                         ? handed_input_layout(layer, producer.output_shape)
                         : layouts[static_cast<size_t>(input)]);
  }
  return inputs;
}

bool output_is_view(const Layer& layer, const std::vector<TensorRef>& inputs) {
  switch (layer.kind) {
    case LayerKind::dropout:
    case LayerKind::identity:
    case LayerKind::cast:
      return true;
    case LayerKind::reshape:
    case LayerKind::flatten:
      return !inputs.empty() && is_physically_plain(inputs[0].shape, inputs[0].layout);
    default:
      return false;
  }
}

bool output_is_data(const Layer& layer) {
  return layer.kind == LayerKind::input || layer.kind == LayerKind::unknown;
}

TensorRef view_output(const Layer& layer, const TensorRef& input, Layout layout) {
  const memory::desc desc =
      tensor_desc(layer.output_shape, layout, input.memory.get_desc().data_type());
  return {layer.output_shape, layout, view(desc, input.memory.get_engine(), input.memory)};
}

void LayerProgram::execute(dnnl::stream& stream) const {
  for (const auto& step : steps) step.primitive.execute(stream, step.args);
}

std::string LayerProgram::algorithm() const {
  if (steps.empty()) return "none";
  std::string names;
  for (const auto& step : steps) names += (names.empty() ? "" : "+") + step.implementation;
  return names;
}

LayerProgram build_layer(CpuContext& ctx, const Layer& layer, const std::vector<TensorRef>& inputs,
                         const TensorRef& output) {
  return with_context("layer '" + layer.name + "' (" + std::string(to_string(layer.kind)) + ")",
                      [&] { return Builder(ctx, layer, inputs, output).build(); });
}

void write_tensor(CpuContext& ctx, const memory& target, const Shape& shape,
                  const std::vector<float>& values) {
  const memory::desc& desc = target.get_desc();
  if (static_cast<int64_t>(values.size()) != element_count(shape)) {
    throw Error("internal: " + std::to_string(values.size()) + " values for a tensor of " +
                shape_to_string(shape));
  }
  // The canonical order over the target's own dims (grouped weights add a leading dim).
  const memory::desc source_desc = plain_desc(Shape(desc.dims()), dt::f32);
  if (source_desc.get_size() != values.size() * sizeof(float)) {
    throw Error("internal: tensor " + shape_to_string(shape) + " does not match its descriptor");
  }
  memory source(source_desc, ctx.engine, const_cast<float*>(values.data()));
  memory destination = target;  // a handle: execute() wants non-const ones
  dnnl::reorder(source, destination).execute(ctx.stream, source, destination);
  ctx.stream.wait();
}

std::vector<float> read_tensor(CpuContext& ctx, const TensorRef& tensor) {
  std::vector<float> values(static_cast<size_t>(element_count(tensor.shape)));
  const memory::desc& desc = tensor.memory.get_desc();
  memory target(plain_desc(Shape(desc.dims()), dt::f32), ctx.engine, values.data());
  memory source = tensor.memory;
  dnnl::reorder(source, target).execute(ctx.stream, source, target);
  ctx.stream.wait();
  return values;
}

}  // namespace np::cpu
