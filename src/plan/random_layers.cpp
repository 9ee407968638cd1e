// Random one-layer configurations from realistic ranges (docs/profiling.md, "Random plan").
//
// Channels follow the spatial size as in real CNNs (64 channels at 224x224 up to 2048 at 7x7,
// give or take a factor of 8 down and 2 up), so that draws look like layers of real networks
// rather than corners no network has (2048 channels at 224x224). Integers are drawn by our own
// mapping of the engine's output, not by std::uniform_int_distribution, whose algorithm is
// left to the standard library: a seed gives the same plan with every compiler.
#include <algorithm>
#include <cmath>

#include "neuralpower/error.hpp"
#include "neuralpower/random_layers.hpp"

namespace np {
namespace {

class Draw {
 public:
  explicit Draw(std::mt19937_64& engine) : engine_(engine) {}

  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool chance(double p) { return uniform() < p; }
  int64_t integer(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }
  // Log-uniform integer in [lo, hi]: as many draws per octave at 8 as at 128.
  int64_t log_uniform(int64_t lo, int64_t hi) {
    const double l = std::log(static_cast<double>(lo));
    const double h = std::log(static_cast<double>(hi) + 1.0);
    const auto v = static_cast<int64_t>(std::floor(std::exp(l + uniform() * (h - l))));
    return std::clamp(v, lo, hi);
  }
  template <typename T>
  T pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(integer(0, static_cast<int64_t>(items.size()) - 1))];
  }
  template <typename T>
  T weighted(const std::vector<std::pair<T, double>>& items) {
    double total = 0;
    for (const auto& item : items) total += item.second;
    double u = uniform() * total;
    for (const auto& item : items) {
      if (u < item.second) return item.first;
      u -= item.second;
    }
    return items.back().first;
  }

 private:
  std::mt19937_64& engine_;
};

int64_t round_to_multiple(int64_t v, int64_t m) { return std::max(m, (v + m / 2) / m * m); }

// Channels of a layer working at `spatial` x `spatial`: nominally 64 x 224 / spatial.
int64_t channels_for(Draw& draw, int64_t spatial) {
  const double nominal = 64.0 * 224.0 / static_cast<double>(spatial);
  const double c = nominal * std::exp2(-3.0 + 4.5 * draw.uniform());
  auto channels = static_cast<int64_t>(std::lround(c));
  if (channels >= 16) channels = round_to_multiple(channels, 8);
  return std::clamp<int64_t>(channels, 3, 2048);
}

int64_t batch(Draw& draw) { return draw.log_uniform(1, 256); }
int64_t spatial(Draw& draw) { return draw.log_uniform(7, 224); }

struct Builder {
  Network net;
  std::vector<int> inputs;

  Builder(const std::string& name, int64_t batch, DataType dtype) : net(name, batch, dtype) {}
  void input(Shape sample_shape) {
    Layer in;
    in.name = "x" + std::to_string(inputs.size());
    in.kind = LayerKind::input;
    in.op = "Input";
    in.attrs = InputAttrs{std::move(sample_shape)};
    inputs.push_back(net.add(std::move(in)));
  }
  Network finish(LayerKind kind, LayerAttrs attrs) {
    Layer layer;
    layer.name = std::string(to_string(kind));
    layer.kind = kind;
    layer.op = "random";
    layer.inputs = inputs;
    layer.attrs = std::move(attrs);
    net.add(std::move(layer));
    net.infer_shapes();  // throws on an impossible draw; the caller draws again
    return std::move(net);
  }
};

Network conv(Draw& draw, Builder b) {
  const int64_t h = spatial(draw);
  const int64_t w = draw.chance(0.1) ? spatial(draw) : h;
  ConvAttrs a;
  int64_t in_channels = draw.chance(0.1) && h >= 32 ? 3 : channels_for(draw, h);
  const double shape = draw.uniform();
  if (shape < 0.2 && in_channels >= 8) {  // depthwise (MobileNet, EfficientNet, ConvNeXt)
    a.groups = in_channels;
    a.out_channels = in_channels * (in_channels <= 1024 && draw.chance(0.15) ? 2 : 1);
    a.kernel_h = draw.weighted<int64_t>({{3, 60}, {5, 25}, {7, 15}});
  } else if (shape < 0.3 && in_channels >= 16) {  // grouped (AlexNet's two towers, ResNeXt)
    a.groups = draw.pick<int64_t>({2, 4, 8, 16, 32});
    in_channels = round_to_multiple(in_channels, a.groups);
    a.out_channels = round_to_multiple(
        std::clamp<int64_t>(in_channels * draw.pick<int64_t>({1, 1, 2}), 8, 2048), a.groups);
    a.kernel_h = draw.weighted<int64_t>({{1, 20}, {3, 60}, {5, 20}});
  } else {
    const double grow = std::exp2(-1.0 + 3.0 * draw.uniform());
    a.out_channels = std::clamp<int64_t>(
        round_to_multiple(static_cast<int64_t>(std::lround(in_channels * grow)), 8), 8, 2048);
    a.kernel_h = draw.weighted<int64_t>({{1, 30}, {3, 40}, {5, 12}, {7, 10}, {11, 8}});
  }
  a.kernel_w = a.kernel_h;
  a.stride_h = a.stride_w = draw.weighted<int64_t>({{1, 60}, {2, 30}, {4, 10}});
  if (a.kernel_h == 3 && a.groups == 1 && draw.chance(0.05)) a.dilation_h = a.dilation_w = 2;
  if (draw.chance(0.75)) {  // "same" padding, the common choice
    const int64_t pad = a.dilation_h * (a.kernel_h - 1) / 2;
    a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = pad;
  }
  a.bias = draw.chance(0.8);
  b.input({in_channels, h, w});
  return b.finish(LayerKind::conv, a);
}

Network pool(Draw& draw, Builder b) {
  const int64_t h = draw.log_uniform(2, 224);
  PoolAttrs a;
  a.mode = draw.chance(0.7) ? PoolMode::max : PoolMode::avg;
  if (draw.chance(0.15)) {
    a.global = true;
    a.mode = draw.chance(0.8) ? PoolMode::avg : PoolMode::max;
  } else {
    a.kernel_h = a.kernel_w = draw.weighted<int64_t>({{2, 35}, {3, 50}, {5, 10}, {7, 5}});
    a.stride_h = a.stride_w = std::min(a.kernel_h, draw.weighted<int64_t>({{1, 25}, {2, 75}}));
    if (draw.chance(0.3)) a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = a.kernel_h / 2;
    a.ceil_mode = draw.chance(0.2);
  }
  b.input({channels_for(draw, std::max<int64_t>(h, 7)), h, h});
  return b.finish(LayerKind::pool, a);
}

Network fc(Draw& draw, Builder b) {
  FcAttrs a;
  a.out_features = draw.log_uniform(10, 4096);
  a.bias = draw.chance(0.9);
  b.input({draw.log_uniform(16, 25088)});
  return b.finish(LayerKind::fc, a);
}

Shape feature_map(Draw& draw) {
  const int64_t h = spatial(draw);
  return {channels_for(draw, h), h, h};
}

Network bn(Draw& draw, Builder b) {
  b.input(feature_map(draw));
  return b.finish(LayerKind::bn, BnAttrs{});
}

Network act(Draw& draw, Builder b) {
  static const std::vector<std::string> functions{"relu",    "relu6",        "leaky_relu",
                                                  "sigmoid", "hard_sigmoid", "hard_swish",
                                                  "gelu",    "silu",         "tanh"};
  b.input(feature_map(draw));
  return b.finish(LayerKind::act, make_activation(draw.pick(functions)));
}

Network eltwise(Draw& draw, Builder b, LayerKind kind) {
  const Shape x = feature_map(draw);
  b.input(x);
  if (kind == LayerKind::mul && draw.chance(0.4)) {
    b.input({x[0], 1, 1});  // squeeze-and-excitation scaling
  } else {
    const int64_t operands = kind == LayerKind::max ? 2 : (draw.chance(0.85) ? 2 : 3);
    for (int64_t i = 1; i < operands; ++i) b.input(x);
  }
  return b.finish(kind, EltwiseAttrs{});
}

Network concat(Draw& draw, Builder b) {
  const int64_t h = spatial(draw);
  const int64_t parts = draw.integer(2, 4);
  for (int64_t i = 0; i < parts; ++i) {
    b.input({std::max<int64_t>(8, channels_for(draw, h) / 2), h, h});
  }
  return b.finish(LayerKind::concat, ConcatAttrs{1, {}});
}

Network lrn(Draw& draw, Builder b) {
  const int64_t h = draw.log_uniform(7, 112);
  b.input({std::min<int64_t>(channels_for(draw, h), 512), h, h});
  LrnAttrs a;
  a.size = draw.pick<int64_t>({3, 5});
  return b.finish(LayerKind::lrn, a);
}

Network softmax(Draw& draw, Builder b) {
  if (draw.chance(0.7)) {
    b.input({draw.log_uniform(10, 32768)});  // classifier outputs
  } else {
    const int64_t seq = draw.log_uniform(16, 1024);  // attention scores
    b.input({draw.pick<int64_t>({1, 2, 4, 8, 12, 16}), seq, seq});
  }
  return b.finish(LayerKind::softmax, SoftmaxAttrs{-1});
}

Network layernorm(Draw& draw, Builder b) {
  const int64_t c = draw.pick<int64_t>({96, 128, 192, 256, 384, 512, 768, 1024});
  if (draw.chance(0.5)) {
    const int64_t h = draw.log_uniform(7, 56);  // ConvNeXt: channels last
    b.input({h, h, c});
  } else {
    b.input({draw.log_uniform(16, 1024), c});  // transformer tokens
  }
  return b.finish(LayerKind::layernorm, LayerNormAttrs{});
}

Network transpose(Draw& draw, Builder b) {
  const Shape x = feature_map(draw);
  if (draw.chance(0.5)) {
    b.input(x);
    return b.finish(LayerKind::transpose, TransposeAttrs{{0, 2, 3, 1}});
  }
  b.input({x[1], x[2], x[0]});
  return b.finish(LayerKind::transpose, TransposeAttrs{{0, 3, 1, 2}});
}

Network slice(Draw& draw, Builder b) {
  Shape x = feature_map(draw);
  x[0] = round_to_multiple(x[0], 2);
  b.input(x);
  SliceAttrs a;  // a channel split (ShuffleNet): one half
  a.axis = 1;
  const bool second = draw.chance(0.5);
  a.start = second ? x[0] / 2 : 0;
  a.end = second ? x[0] : x[0] / 2;
  return b.finish(LayerKind::slice, a);
}

// Attention's products per image: heads (times windows in Swin) of [tokens x head width] by
// its keys' transpose (scores) or the scores by the values; sometimes a product by a constant
// matrix (MaxViT's relative-position terms).
Network matmul(Draw& draw, Builder b) {
  const int64_t heads = draw.pick<int64_t>({1, 2, 3, 4, 6, 8, 12, 16}) *
                        (draw.chance(0.3) ? draw.pick<int64_t>({4, 16, 64}) : 1);
  const int64_t tokens =
      draw.chance(0.3) ? draw.pick<int64_t>({49, 64, 197}) : draw.log_uniform(16, 1024);
  const int64_t width = draw.pick<int64_t>({32, 48, 64, 96, 128});
  MatmulAttrs a;
  const double form = draw.uniform();
  if (form < 0.4) {  // Q Kᵀ, the transpose folded into the product or done before it
    a.transpose_b = draw.chance(0.5);
    b.input({heads, tokens, width});
    b.input(a.transpose_b ? Shape{heads, tokens, width} : Shape{heads, width, tokens});
  } else if (form < 0.85) {  // A V
    b.input({heads, tokens, tokens});
    b.input({heads, tokens, width});
  } else {
    b.input({heads, tokens, width});
    a.constant_b = {width, draw.chance(0.5) ? width : tokens};
  }
  return b.finish(LayerKind::matmul, a);
}

// Upsampling as in FPN top-down paths (nearest 2x) and segmentation heads (bilinear to the
// image, 4x to 8x), and the occasional downscale.
Network resize(Draw& draw, Builder b) {
  const int64_t h = draw.log_uniform(4, 128);
  const int64_t w = draw.chance(0.1) ? draw.log_uniform(4, 128) : h;
  const int64_t channels =
      draw.chance(0.2) ? draw.pick<int64_t>({2, 21, 150}) : channels_for(draw, h);
  ResizeAttrs a;
  a.mode = draw.chance(0.5) ? ResizeMode::nearest : ResizeMode::linear;
  const double form = draw.uniform();
  if (form < 0.6) {
    a.scale_h = a.scale_w = draw.weighted<double>({{2.0, 70}, {4.0, 20}, {8.0, 10}});
  } else if (form < 0.9) {  // to a size, as a segmenter back to its image
    const int64_t factor = draw.pick<int64_t>({2, 4, 8});
    a.out_height = h * factor + draw.integer(0, factor - 1);
    a.out_width = w * factor + draw.integer(0, factor - 1);
  } else {
    a.scale_h = a.scale_w = 0.5;
  }
  b.input({channels, h, w});
  return b.finish(LayerKind::resize, a);
}

}  // namespace

RandomLayerSampler::RandomLayerSampler(uint64_t seed, DataType dtype)
    : engine_(seed), dtype_(dtype) {}

Network RandomLayerSampler::next() {
  Draw draw(engine_);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const LayerKind kind = draw.weighted<LayerKind>({{LayerKind::conv, 40},
                                                     {LayerKind::pool, 10},
                                                     {LayerKind::fc, 10},
                                                     {LayerKind::bn, 6},
                                                     {LayerKind::act, 8},
                                                     {LayerKind::add, 5},
                                                     {LayerKind::mul, 4},
                                                     {LayerKind::max, 2},
                                                     {LayerKind::concat, 4},
                                                     {LayerKind::lrn, 3},
                                                     {LayerKind::softmax, 3},
                                                     {LayerKind::layernorm, 3},
                                                     {LayerKind::transpose, 1},
                                                     {LayerKind::slice, 1},
                                                     {LayerKind::matmul, 4},
                                                     {LayerKind::resize, 3}});
    Builder b("random-" + std::to_string(++drawn_), batch(draw), dtype_);
    try {
      switch (kind) {
        case LayerKind::conv:
          return conv(draw, std::move(b));
        case LayerKind::pool:
          return pool(draw, std::move(b));
        case LayerKind::fc:
          return fc(draw, std::move(b));
        case LayerKind::bn:
          return bn(draw, std::move(b));
        case LayerKind::act:
          return act(draw, std::move(b));
        case LayerKind::add:
        case LayerKind::mul:
        case LayerKind::max:
          return eltwise(draw, std::move(b), kind);
        case LayerKind::concat:
          return concat(draw, std::move(b));
        case LayerKind::lrn:
          return lrn(draw, std::move(b));
        case LayerKind::softmax:
          return softmax(draw, std::move(b));
        case LayerKind::layernorm:
          return layernorm(draw, std::move(b));
        case LayerKind::transpose:
          return transpose(draw, std::move(b));
        case LayerKind::slice:
          return slice(draw, std::move(b));
        case LayerKind::matmul:
          return matmul(draw, std::move(b));
        case LayerKind::resize:
          return resize(draw, std::move(b));
        default:
          break;
      }
    } catch (const Error&) {
      // A window larger than its input and the like: draw again.
    }
  }
  throw Error("internal: no valid random layer in 1000 draws");
}

}  // namespace np
