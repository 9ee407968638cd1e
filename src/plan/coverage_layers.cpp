// Coverage grids for the feature ranges the zoo's training layers and the random draws miss.
#include "neuralpower/coverage_layers.hpp"

#include "neuralpower/config_text.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

class Grid {
 public:
  explicit Grid(DataType dtype) : dtype_(dtype) {}

  void add(int64_t batch, const std::vector<Shape>& inputs, LayerKind kind, LayerAttrs attrs) {
    try {
      out_.push_back(one_layer_network("coverage-" + std::to_string(out_.size() + 1), batch, dtype_,
                                       inputs, kind, std::move(attrs)));
    } catch (const Error&) {
      // A window larger than its padded input: not a layer any network has.
    }
  }
  std::vector<Network> take() { return std::move(out_); }

 private:
  DataType dtype_;
  std::vector<Network> out_;
};

ConvAttrs conv_attrs(int64_t out, int64_t kernel, int64_t pad) {
  ConvAttrs a;
  a.out_channels = out;
  a.kernel_h = a.kernel_w = kernel;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = pad;
  return a;
}

// Fully connected layers as convolutions whose kernel covers the whole map: a read of all the
// weights per image (AlexNet-v2's fc6-fc8, Overfeat's).
void fc_as_conv(Grid& g) {
  // Channel counts between those of AlexNet-v2 and Overfeat, never theirs.
  for (int64_t batch : {1, 4, 16, 64}) {
    for (int64_t in : {1536, 3584}) {
      for (int64_t out : {1200, 3584}) {
        g.add(batch, {{in, 1, 1}}, LayerKind::conv, conv_attrs(out, 1, 0));
      }
    }
    for (int64_t map : {5, 6}) {
      for (int64_t in : {192, 768}) {
        for (int64_t out : {2048, 3584}) {
          g.add(batch, {{in, map, map}}, LayerKind::conv, conv_attrs(out, map, 0));
        }
      }
    }
  }
}

// Kernels as large as the map or larger ("same" padding), and without padding where they fit.
void large_kernels_on_tiny_maps(Grid& g) {
  for (int64_t batch : {1, 16}) {
    for (int64_t kernel : {5, 7, 11}) {
      for (int64_t map : {3, 5, 7, 13}) {
        for (int64_t channels : {64, 384}) {
          g.add(batch, {{channels, map, map}}, LayerKind::conv,
                conv_attrs(channels, kernel, (kernel - 1) / 2));
          if (kernel <= map) {
            g.add(batch, {{channels, map, map}}, LayerKind::conv, conv_attrs(channels, kernel, 0));
          }
        }
      }
    }
  }
}

// fc over the channels of a channels-last map [N, H, W, C]: N*H*W rows (ConvNeXt-like
// inverted bottlenecks, widening by 4 and back).
void fc_on_many_rows(Grid& g) {
  const std::vector<std::pair<int64_t, int64_t>> maps{{64, 64},  {48, 128}, {32, 256}, {24, 320},
                                                      {16, 512}, {12, 640}, {8, 1024}};
  for (int64_t batch : {1, 2, 4}) {
    for (const auto& [size, channels] : maps) {
      FcAttrs widen;
      widen.out_features = 4 * channels;
      g.add(batch, {{size, size, channels}}, LayerKind::fc, widen);
      FcAttrs narrow;
      narrow.out_features = channels;
      g.add(batch, {{size, size, 4 * channels}}, LayerKind::fc, narrow);
    }
  }
}

void long_rows(Grid& g) {
  for (int64_t batch : {1, 8}) {
    for (int64_t rows : {64, 1024, 4096}) {
      for (int64_t length : {256, 2048, 16384}) {
        g.add(batch, {{rows, length}}, LayerKind::softmax, SoftmaxAttrs{-1});
      }
    }
  }
  const std::vector<std::pair<int64_t, int64_t>> maps{
      {64, 64}, {48, 128}, {32, 256}, {16, 512}, {8, 1024}};
  for (int64_t batch : {1, 4, 16}) {
    for (const auto& [size, channels] : maps) {
      g.add(batch, {{size, size, channels}}, LayerKind::layernorm, LayerNormAttrs{});
    }
  }
  for (int64_t batch : {1, 4}) {
    for (int64_t tokens : {4096, 16384}) {
      for (int64_t channels : {256, 768}) {
        g.add(batch, {{tokens, channels}}, LayerKind::layernorm, LayerNormAttrs{});
      }
    }
  }
}

// A dense block's concatenation: the block's input and every layer's new channels.
void many_operand_concat(Grid& g) {
  for (int64_t batch : {1, 4, 16}) {
    for (int64_t map : {56, 28, 14, 7}) {
      for (int64_t operands : {6, 12, 24, 48}) {
        for (int64_t growth : {16, 48}) {
          std::vector<Shape> inputs{{128, map, map}};
          for (int64_t k = 1; k < operands; ++k) inputs.push_back({growth, map, map});
          g.add(batch, inputs, LayerKind::concat, ConcatAttrs{1, {}});
        }
      }
    }
  }
}

}  // namespace

std::vector<Network> coverage_layers(DataType dtype) {
  Grid g(dtype);
  fc_as_conv(g);
  large_kernels_on_tiny_maps(g);
  fc_on_many_rows(g);
  long_rows(g);
  many_operand_concat(g);
  return g.take();
}

}  // namespace np
