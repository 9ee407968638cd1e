// The paper's networks (zoo/paper/*.json), checked against numbers published with the networks
// or derived by hand from their published definitions — never against our own tool's output.
//
// Parameter counts are weights + biases. Hand derivations are written out next to each number;
// "k·k·Cin·Cout + Cout" is one conv layer, "K·M + M" one fully connected layer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "neuralpower/cost.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/network.hpp"

namespace np {
namespace {

std::string paper_file(const std::string& name) {
  return std::string(NP_SOURCE_DIR) + "/zoo/paper/" + name + ".json";
}

// Loaded by path so that a NEURALPOWER_ZOO set elsewhere in this test program cannot redirect it.
Network load(const std::string& name, std::optional<int64_t> batch = std::nullopt) {
  ImportOptions options;
  options.batch = batch;
  return load_network(paper_file(name), options);
}

const Layer& layer_of(const Network& net, const std::string& name) {
  const auto id = net.find(name);
  if (!id) throw std::runtime_error(net.name() + " has no layer '" + name + "'");
  return net.layer(*id);
}

Shape shape_of(const Network& net, const std::string& name) {
  return layer_of(net, name).output_shape;
}

// Name of the first input of a layer.
std::string input_of(const Network& net, const std::string& name) {
  const Layer& l = layer_of(net, name);
  if (l.inputs.empty()) return "";
  return net.layer(l.inputs.front()).name;
}

int64_t sum_over(const Network& net, const std::vector<LayerKind>& kinds, int64_t LayerCost::*field,
                 const std::string& last = "") {
  int64_t total = 0;
  for (int id = 0; id < net.size(); ++id) {
    const Layer& l = net.layer(id);
    for (const LayerKind k : kinds) {
      if (l.kind == k) total += layer_cost(net, id).*field;
    }
    if (!last.empty() && l.name == last) break;
  }
  return total;
}

struct PaperNet {
  const char* name;
  int64_t batch;        // default batch written in the file
  int64_t params;       // weights + biases
  Shape output_sample;  // output shape of the last layer without the batch
};

// Defaults and parameter counts.
//  alexnet-v2     batch 128: Paleo nets/alex_v2.json (TalwalkarLab/paleo), the net the NeuralPower
//                 paper's Table 4 compares on. Params, from TF-Slim alexnet.py at 224:
//                 conv1 11·11·3·64+64 = 23,296; conv2 5·5·64·192+192 = 307,392;
//                 conv3 3·3·192·384+384 = 663,936; conv4 3·3·384·384+384 = 1,327,488;
//                 conv5 3·3·384·256+256 = 884,992; fc6 5·5·256·4096+4096 = 26,218,496;
//                 fc7 4096·4096+4096 = 16,781,312; fc8 4096·1000+1000 = 4,097,000
//                 -> 50,303,912.
//  alexnet-2012 / caffenet: 60,965,224 (Caffe bvlc_alexnet / bvlc_reference_caffenet, groups 2 in
//                 conv2, conv4, conv5): conv1 11·11·3·96+96 = 34,944; conv2 5·5·48·256+256 =
//                 307,456; conv3 3·3·256·384+384 = 885,120; conv4 3·3·192·384+384 = 663,936;
//                 conv5 3·3·192·256+256 = 442,624; fc6 9216·4096+4096 = 37,752,832;
//                 fc7 16,781,312; fc8 4,097,000. Batches 80 and 40: the middle of the batches the
//                 NeuralPower authors profiled (enyac-group/NeuralPower
//                 nets/norm/bvlc_alexnet_{40,80,160}, bvlc_caffenet_{20,40,160}).
//  vgg-16 / vgg-19: 138,357,544 / 143,667,240 (torchvision model docs, num_params of vgg16 and
//                 vgg19, the same configurations D and E). vgg-16 batch 64: Paleo nets/vgg16.json;
//                 vgg-19 batch 64: the NeuralPower authors' nets/vgg19.json.
//  nin            batch 128: Paleo nets/nin.json. Params (Caffe model zoo nin_imagenet):
//                 conv1 34,944; cccp1, cccp2 96·96+96 = 9,312 each; conv2 5·5·96·256+256 = 614,656;
//                 cccp3, cccp4 256·256+256 = 65,792 each; conv3 3·3·256·384+384 = 885,120;
//                 cccp5, cccp6 384·384+384 = 147,840 each; conv4 3·3·384·1024+1024 = 3,539,968;
//                 cccp7 1024·1024+1024 = 1,049,600; cccp8 1024·1000+1000 = 1,025,000
//                 -> 7,595,176 (~7.6M: the model zoo's 29 MB caffemodel holds ~7.6M floats).
//  googlenet-2014 batch 80 (authors profiled 40, 80, 160). Params from Table 1 of Szegedy et al.
//                 (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj), a module with C inputs having
//                 C·n1 + C·r3 + 9·r3·n3 + C·r5 + 25·r5·n5 + C·pp weights and n1+r3+n3+r5+n5+pp
//                 biases: conv1 7·7·3·64+64 = 9,472; conv2 reduce 64·64+64 = 4,160; conv2
//                 3·3·64·192+192 = 110,784; 3a (C 192) 163,328+368; 3b (C 256) 388,096+640; 4a (C
//                 480) 375,552+624; 4b (C 512) 448,512+648; 4c (C 512) 509,440+664; 4d (C 512)
//                 604,672+704; 4e (C 528) 867,328+1,024; 5a (C 832) 1,042,432+1,024; 5b (C 832)
//                 1,442,816+1,264; linear 1024·1000+1000 = 1,025,000 -> 6,998,552.
//  overfeat-fast  batch 128: Paleo nets/overfeat.json. Params from Table 1 of Sermanet et al.:
//                 conv1 11·11·3·96+96 = 34,944; conv2 5·5·96·256+256 = 614,656; conv3
//                 3·3·256·512+512 = 1,180,160; conv4 3·3·512·1024+1024 = 4,719,616; conv5
//                 3·3·1024·1024+1024 = 9,438,208; fc6 6·6·1024·3072+3072 = 113,249,280; fc7
//                 3072·4096+4096 = 12,587,008; fc8 4,097,000 -> 145,920,872.
//  lenet          batch 128: the NeuralPower authors' all_json/mnist.json. Caffe lenet.prototxt:
//                 conv1 5·5·1·20+20 = 520; conv2 5·5·20·50+50 = 25,050; ip1 800·500+500 = 400,500;
//                 ip2 500·10+10 = 5,010 -> 431,080.
//  cifar10-6conv  batch 128: the NeuralPower authors' nets/cifar10_6conv.json. Courbariaux et al.:
//                 3·3·3·128+128 = 3,584; 3·3·128·128+128 = 147,584; 3·3·128·256+256 = 295,168;
//                 3·3·256·256+256 = 590,080; 3·3·256·512+512 = 1,180,160; 3·3·512·512+512 =
//                 2,359,808; fc 4·4·512·1024+1024 = 8,389,632; fc 1024·1024+1024 = 1,049,600;
//                 fc 1024·10+10 = 10,250 -> 14,025,866.
//  zf-net         batch 40 (the paper's "R-CNN" row was profiled at 20, 40, 80). Zeiler & Fergus
//                 Figure 3: conv1 7·7·3·96+96 = 14,208; conv2 5·5·96·256+256 = 614,656; conv3
//                 885,120; conv4 3·3·384·384+384 = 1,327,488; conv5 3·3·384·256+256 = 884,992;
//                 fc6 6·6·256·4096+4096 = 37,752,832; fc7 16,781,312; fc8 4,097,000 -> 62,357,608.
const std::vector<PaperNet> kPaperNets = {
    {"alexnet-v2", 128, 50'303'912, {1000}},
    {"alexnet-2012", 80, 60'965'224, {1000}},
    {"caffenet", 40, 60'965'224, {1000}},
    {"vgg-16", 64, 138'357'544, {1000}},
    {"vgg-19", 64, 143'667'240, {1000}},
    {"nin", 128, 7'595'176, {1000, 1, 1}},  // Caffe Softmax over the 1000x1x1 average pool
    {"googlenet-2014", 80, 6'998'552, {1000}},
    {"overfeat-fast", 128, 145'920'872, {1000}},
    {"lenet", 128, 431'080, {10}},
    {"cifar10-6conv", 128, 14'025'866, {10}},
    {"zf-net", 40, 62'357'608, {1000}},
};

Shape with_batch(int64_t batch, const Shape& sample) {
  Shape s{batch};
  s.insert(s.end(), sample.begin(), sample.end());
  return s;
}

TEST(PaperZoo, EachNetworkHasItsPublishedParameterCountAndDefaultBatch) {
  for (const PaperNet& p : kPaperNets) {
    SCOPED_TRACE(p.name);
    const Network net = load(p.name);
    EXPECT_EQ(net.name(), p.name);
    EXPECT_EQ(net.batch(), p.batch);
    EXPECT_EQ(net.dtype(), DataType::fp32);
    EXPECT_EQ(network_cost(net).total.params, p.params);
    EXPECT_EQ(net.layers().back().output_shape, with_batch(p.batch, p.output_sample));
  }
}

TEST(PaperZoo, BatchOverrideReachesEveryLayerAndLeavesParametersAlone) {
  for (const PaperNet& p : kPaperNets) {
    SCOPED_TRACE(p.name);
    const Network net = load(p.name, 1);
    EXPECT_EQ(net.batch(), 1);
    for (const Layer& l : net.layers()) {
      ASSERT_FALSE(l.output_shape.empty()) << l.name;
      EXPECT_EQ(l.output_shape.front(), 1) << l.name;
    }
    EXPECT_EQ(network_cost(net).total.params, p.params);
  }
}

TEST(PaperZoo, EveryNetworkIsListedInTheZoo) {
  if (std::getenv("NEURALPOWER_ZOO") != nullptr) GTEST_SKIP() << "NEURALPOWER_ZOO is set";
  const std::vector<ZooEntry> entries = zoo_entries();
  for (const PaperNet& p : kPaperNets) {
    bool found = false;
    for (const ZooEntry& e : entries) {
      if (e.name == p.name) {
        found = true;
        EXPECT_EQ(e.format, "json");
        EXPECT_NE(e.path.find("zoo/paper/"), std::string::npos) << e.path;
      }
    }
    EXPECT_TRUE(found) << p.name;
  }
  // By zoo name, as `neuralpower show NAME` loads it.
  EXPECT_EQ(load_network("vgg-16", {}).batch(), 64);
}

TEST(PaperZoo, AlexNetV2FollowsTfSlimArithmetic) {
  const Network net = load("alexnet-v2", 1);
  // VALID conv1: floor((224 - 11) / 4) + 1 = 54; VALID 3x3/2 pools: 54 -> 26 -> 12 -> 5;
  // fc6 is a 5x5 VALID conv over the 5x5 pool5, so fc6..fc8 are 1x1.
  EXPECT_EQ(shape_of(net, "conv1"), (Shape{1, 64, 54, 54}));
  EXPECT_EQ(shape_of(net, "pool1"), (Shape{1, 64, 26, 26}));
  EXPECT_EQ(shape_of(net, "conv2"), (Shape{1, 192, 26, 26}));
  EXPECT_EQ(shape_of(net, "pool2"), (Shape{1, 192, 12, 12}));
  EXPECT_EQ(shape_of(net, "conv5"), (Shape{1, 256, 12, 12}));
  EXPECT_EQ(shape_of(net, "pool5"), (Shape{1, 256, 5, 5}));
  EXPECT_EQ(shape_of(net, "fc6"), (Shape{1, 4096, 1, 1}));
  EXPECT_EQ(shape_of(net, "fc8"), (Shape{1, 1000, 1, 1}));
  // TF SAME padding: total = max((out - 1) * stride + k - in, 0), top/left = total / 2.
  for (const char* name : {"conv2", "conv3", "conv4", "conv5", "fc7", "fc8"}) {
    SCOPED_TRACE(name);
    const Layer& l = layer_of(net, name);
    const auto& a = std::get<ConvAttrs>(l.attrs);
    const int64_t in = net.layer(l.inputs.front()).output_shape[2];
    const int64_t out = (in + a.stride_h - 1) / a.stride_h;  // SAME: ceil(in / stride)
    const int64_t total = std::max<int64_t>((out - 1) * a.stride_h + a.kernel_h - in, 0);
    EXPECT_EQ(a.pad_top, total / 2);
    EXPECT_EQ(a.pad_bottom, total - total / 2);
    EXPECT_EQ(a.pad_left, total / 2);
    EXPECT_EQ(a.pad_right, total - total / 2);
    EXPECT_EQ(l.output_shape[2], out);
  }
  // google-research/receptive_field RECEPTIVE_FIELD_TABLE.md, computed with TF on the TF-Slim
  // model: alexnet_v2 at 224, cumulative FLOPs up to pool5 = 1.380 billion (rounded to 1e6).
  // TF counts a conv as 2 per multiply-add plus the bias add, and a pool as outputs x window,
  // as docs/costs.md does; activations are left out of TF's count, so they are here.
  const int64_t flops =
      sum_over(net, {LayerKind::conv, LayerKind::pool}, &LayerCost::flops, "pool5");
  EXPECT_NEAR(static_cast<double>(flops), 1.380e9, 0.0005e9);
}

void expect_alexnet_2012_sizes(const Network& net) {
  // Krizhevsky et al. 2012, Figure 2 (227 input as in Caffe): 55, 27, 13, 13, 13, then 6x6x256
  // into the 4096-wide fc6.
  EXPECT_EQ(shape_of(net, "conv1"), (Shape{1, 96, 55, 55}));
  EXPECT_EQ(shape_of(net, "pool1"), (Shape{1, 96, 27, 27}));
  EXPECT_EQ(shape_of(net, "conv2"), (Shape{1, 256, 27, 27}));
  EXPECT_EQ(shape_of(net, "pool2"), (Shape{1, 256, 13, 13}));
  EXPECT_EQ(shape_of(net, "conv3"), (Shape{1, 384, 13, 13}));
  EXPECT_EQ(shape_of(net, "conv4"), (Shape{1, 384, 13, 13}));
  EXPECT_EQ(shape_of(net, "conv5"), (Shape{1, 256, 13, 13}));
  EXPECT_EQ(shape_of(net, "pool5"), (Shape{1, 256, 6, 6}));
  EXPECT_EQ(shape_of(net, "fc6"), (Shape{1, 4096}));
  for (const char* name : {"conv2", "conv4", "conv5"}) {
    EXPECT_EQ(std::get<ConvAttrs>(layer_of(net, name).attrs).groups, 2) << name;
  }
  EXPECT_EQ(std::get<ConvAttrs>(layer_of(net, "conv3").attrs).groups, 1);
  const auto& lrn = std::get<LrnAttrs>(layer_of(net, "norm1").attrs);
  EXPECT_EQ(lrn.size, 5);
  EXPECT_DOUBLE_EQ(lrn.alpha, 1e-4);
  EXPECT_DOUBLE_EQ(lrn.beta, 0.75);
  EXPECT_DOUBLE_EQ(lrn.bias, 1.0);
}

TEST(PaperZoo, AlexNet2012NormalizesBeforePooling) {
  const Network net = load("alexnet-2012", 1);
  expect_alexnet_2012_sizes(net);
  EXPECT_EQ(input_of(net, "pool1"), "norm1");
  EXPECT_EQ(input_of(net, "pool2"), "norm2");
  // Sze et al. 2017 (Proc. IEEE, "Efficient Processing of Deep Neural Networks", Table III):
  // AlexNet 724M MACs. By hand (grouped convs): 55²·96·363 + 27²·256·1200 + 13²·384·2304
  // + 13²·384·1728 + 13²·256·1728 + 9216·4096 + 4096·4096 + 4096·1000 = 724,406,816.
  EXPECT_NEAR(static_cast<double>(network_cost(net).total.macs), 724e6, 0.5e6);
}

TEST(PaperZoo, CaffeNetPoolsBeforeNormalizing) {
  const Network net = load("caffenet", 1);
  expect_alexnet_2012_sizes(net);
  EXPECT_EQ(input_of(net, "norm1"), "pool1");
  EXPECT_EQ(input_of(net, "norm2"), "pool2");
}

void expect_vgg_blocks(const Network& net, const std::vector<int>& convs_per_block) {
  // Simonyan & Zisserman: 3x3 stride-1 convs with 1-pixel padding keep the size; 2x2/2 max pools
  // halve it: 224, 112, 56, 28, 14 -> 7x7x512 into fc6.
  const int64_t sizes[] = {224, 112, 56, 28, 14};
  const int64_t widths[] = {64, 128, 256, 512, 512};
  for (size_t b = 0; b < convs_per_block.size(); ++b) {
    for (int r = 1; r <= convs_per_block[b]; ++r) {
      const std::string name = "conv" + std::to_string(b + 1) + "_" + std::to_string(r);
      EXPECT_EQ(shape_of(net, name), (Shape{1, widths[b], sizes[b], sizes[b]})) << name;
    }
    const std::string pool = "pool" + std::to_string(b + 1);
    EXPECT_EQ(shape_of(net, pool), (Shape{1, widths[b], sizes[b] / 2, sizes[b] / 2})) << pool;
  }
  EXPECT_FALSE(net.find("conv" + std::to_string(convs_per_block.size() + 1) + "_1").has_value());
  EXPECT_EQ(shape_of(net, "fc6"), (Shape{1, 4096}));
  EXPECT_EQ(shape_of(net, "fc7"), (Shape{1, 4096}));
  EXPECT_EQ(shape_of(net, "fc8"), (Shape{1, 1000}));
}

TEST(PaperZoo, Vgg16IsConfigurationD) {
  const Network net = load("vgg-16", 1);
  expect_vgg_blocks(net, {2, 2, 3, 3, 3});
  EXPECT_FALSE(net.find("conv3_4").has_value());
  // torchvision docs, VGG16_Weights: 15.47 "GFLOPS" (multiply-adds per 224x224 image).
  EXPECT_NEAR(static_cast<double>(network_cost(net).total.macs), 15.47e9, 0.005e9);
  // google-research/receptive_field table (TF-Slim vgg_16 at 224): 30.713 billion FLOPs up to
  // pool5, convs and pools only.
  const int64_t flops =
      sum_over(net, {LayerKind::conv, LayerKind::pool}, &LayerCost::flops, "pool5");
  EXPECT_NEAR(static_cast<double>(flops), 30.713e9, 0.0005e9);
}

TEST(PaperZoo, Vgg19IsConfigurationE) {
  const Network net = load("vgg-19", 1);
  expect_vgg_blocks(net, {2, 2, 4, 4, 4});
  // torchvision docs, VGG19_Weights: 19.63 GFLOPS (multiply-adds).
  EXPECT_NEAR(static_cast<double>(network_cost(net).total.macs), 19.63e9, 0.005e9);
}

TEST(PaperZoo, NinHasFourMlpconvBlocksAndGlobalAveraging) {
  const Network net = load("nin", 1);
  // Caffe arithmetic on the model zoo prototxt (pools round up): conv1 floor((224-11)/4)+1 = 54;
  // pool0 ceil((54-3)/2)+1 = 27; pool2 ceil((27-3)/2)+1 = 13; pool3 ceil((13-3)/2)+1 = 6; the
  // 6x6 average pool makes 1x1.
  EXPECT_EQ(shape_of(net, "conv1"), (Shape{1, 96, 54, 54}));
  EXPECT_EQ(shape_of(net, "cccp2"), (Shape{1, 96, 54, 54}));
  EXPECT_EQ(shape_of(net, "pool0"), (Shape{1, 96, 27, 27}));
  EXPECT_EQ(shape_of(net, "conv2"), (Shape{1, 256, 27, 27}));
  EXPECT_EQ(shape_of(net, "pool2"), (Shape{1, 256, 13, 13}));
  EXPECT_EQ(shape_of(net, "conv3"), (Shape{1, 384, 13, 13}));
  EXPECT_EQ(shape_of(net, "pool3"), (Shape{1, 384, 6, 6}));
  EXPECT_EQ(shape_of(net, "conv4"), (Shape{1, 1024, 6, 6}));
  EXPECT_EQ(shape_of(net, "cccp8"), (Shape{1, 1000, 6, 6}));
  EXPECT_EQ(shape_of(net, "pool4"), (Shape{1, 1000, 1, 1}));
  // Each block: a conv then two 1x1 convs (cccp), as the paper's mlpconv layer.
  for (int i = 1; i <= 8; ++i) {
    const auto& a = std::get<ConvAttrs>(layer_of(net, "cccp" + std::to_string(i)).attrs);
    EXPECT_EQ(a.kernel_h, 1);
    EXPECT_EQ(a.kernel_w, 1);
  }
  int fc = 0;
  for (const Layer& l : net.layers()) fc += l.kind == LayerKind::fc ? 1 : 0;
  EXPECT_EQ(fc, 0);  // no fully connected layer: global average pooling instead
}

TEST(PaperZoo, GoogLeNetFollowsTable1) {
  const Network net = load("googlenet-2014", 1);
  // Table 1, "output size" column.
  EXPECT_EQ(shape_of(net, "conv1/7x7_s2"), (Shape{1, 64, 112, 112}));
  EXPECT_EQ(shape_of(net, "pool1/3x3_s2"), (Shape{1, 64, 56, 56}));
  EXPECT_EQ(shape_of(net, "conv2/3x3"), (Shape{1, 192, 56, 56}));
  EXPECT_EQ(shape_of(net, "pool2/3x3_s2"), (Shape{1, 192, 28, 28}));
  EXPECT_EQ(shape_of(net, "inception_3a/output"), (Shape{1, 256, 28, 28}));
  EXPECT_EQ(shape_of(net, "inception_3b/output"), (Shape{1, 480, 28, 28}));
  EXPECT_EQ(shape_of(net, "pool3/3x3_s2"), (Shape{1, 480, 14, 14}));
  EXPECT_EQ(shape_of(net, "inception_4a/output"), (Shape{1, 512, 14, 14}));
  EXPECT_EQ(shape_of(net, "inception_4b/output"), (Shape{1, 512, 14, 14}));
  EXPECT_EQ(shape_of(net, "inception_4c/output"), (Shape{1, 512, 14, 14}));
  EXPECT_EQ(shape_of(net, "inception_4d/output"), (Shape{1, 528, 14, 14}));
  EXPECT_EQ(shape_of(net, "inception_4e/output"), (Shape{1, 832, 14, 14}));
  EXPECT_EQ(shape_of(net, "pool4/3x3_s2"), (Shape{1, 832, 7, 7}));
  EXPECT_EQ(shape_of(net, "inception_5a/output"), (Shape{1, 832, 7, 7}));
  EXPECT_EQ(shape_of(net, "inception_5b/output"), (Shape{1, 1024, 7, 7}));
  EXPECT_EQ(shape_of(net, "pool5/7x7_s1"), (Shape{1, 1024, 1, 1}));
  EXPECT_EQ(shape_of(net, "loss3/classifier"), (Shape{1, 1000}));

  // Table 1 columns #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, and "ops" (millions
  // of multiply-adds). Module 5a's 54M in the table does not follow from its own columns:
  // 7·7·(832·256 + 832·160 + 9·160·320 + 832·32 + 25·32·128 + 832·128) = 51.08M, so it is
  // checked against that arithmetic.
  struct Module {
    const char* name;
    int64_t n1, r3, n3, r5, n5, pp;
    double mmacs;
  };
  const Module modules[] = {
      {"3a", 64, 96, 128, 16, 32, 32, 128},     {"3b", 128, 128, 192, 32, 96, 64, 304},
      {"4a", 192, 96, 208, 16, 48, 64, 73},     {"4b", 160, 112, 224, 24, 64, 64, 88},
      {"4c", 128, 128, 256, 24, 64, 64, 100},   {"4d", 112, 144, 288, 32, 64, 64, 119},
      {"4e", 256, 160, 320, 32, 128, 128, 170}, {"5a", 256, 160, 320, 32, 128, 128, 51.08},
      {"5b", 384, 192, 384, 48, 128, 128, 71},
  };
  for (const Module& m : modules) {
    SCOPED_TRACE(m.name);
    const std::string p = std::string("inception_") + m.name + "/";
    const auto out = [&](const char* branch) { return shape_of(net, p + branch)[1]; };
    EXPECT_EQ(out("1x1"), m.n1);
    EXPECT_EQ(out("3x3_reduce"), m.r3);
    EXPECT_EQ(out("3x3"), m.n3);
    EXPECT_EQ(out("5x5_reduce"), m.r5);
    EXPECT_EQ(out("5x5"), m.n5);
    EXPECT_EQ(out("pool_proj"), m.pp);
    int64_t macs = 0;
    for (int id = 0; id < net.size(); ++id) {
      if (net.layer(id).name.rfind(p, 0) == 0) macs += layer_cost(net, id).macs;
    }
    EXPECT_NEAR(static_cast<double>(macs) / 1e6, m.mmacs, 0.7);
  }
  // No auxiliary classifiers (loss1/*, loss2/*): inference only.
  for (const Layer& l : net.layers()) {
    EXPECT_NE(l.name.rfind("loss1/", 0), 0u) << l.name;
    EXPECT_NE(l.name.rfind("loss2/", 0), 0u) << l.name;
  }
  EXPECT_EQ(std::get<LrnAttrs>(layer_of(net, "pool1/norm1").attrs).size, 5);
  EXPECT_EQ(input_of(net, "conv2/norm2"), "conv2/relu_3x3");
}

TEST(PaperZoo, OverFeatFastFollowsTable1) {
  const Network net = load("overfeat-fast", 1);
  // Table 1 (fast model): 231x231 input; conv1 96 11x11/4 -> floor((231-11)/4)+1 = 56, 2x2/2
  // pool -> 28; conv2 256 5x5 -> 24 (the "24x24" of the table), pool -> 12 (layer 3 input 12x12);
  // conv3..5 pad 1 keep 12x12; pool -> 6x6x1024 (layer 6 input); fc 3072, 4096, 1000.
  EXPECT_EQ(shape_of(net, "conv1"), (Shape{1, 96, 56, 56}));
  EXPECT_EQ(shape_of(net, "pool1"), (Shape{1, 96, 28, 28}));
  EXPECT_EQ(shape_of(net, "conv2"), (Shape{1, 256, 24, 24}));
  EXPECT_EQ(shape_of(net, "pool2"), (Shape{1, 256, 12, 12}));
  EXPECT_EQ(shape_of(net, "conv3"), (Shape{1, 512, 12, 12}));
  EXPECT_EQ(shape_of(net, "conv4"), (Shape{1, 1024, 12, 12}));
  EXPECT_EQ(shape_of(net, "conv5"), (Shape{1, 1024, 12, 12}));
  EXPECT_EQ(shape_of(net, "pool5"), (Shape{1, 1024, 6, 6}));
  EXPECT_EQ(shape_of(net, "fc6"), (Shape{1, 3072}));
  EXPECT_EQ(shape_of(net, "fc7"), (Shape{1, 4096}));
  EXPECT_EQ(shape_of(net, "fc8"), (Shape{1, 1000}));
  // Sze et al. 2017, Table III: OverFeat fast 2.8G MACs, 146M weights.
  EXPECT_NEAR(static_cast<double>(network_cost(net).total.macs), 2.8e9, 0.05e9);
}

TEST(PaperZoo, LeNetIsCaffesMnistNet) {
  const Network net = load("lenet", 1);
  // 28 -> conv 5x5: 24 -> pool: 12 -> conv 5x5: 8 -> pool: 4; ip1 sees 4·4·50 = 800 inputs.
  EXPECT_EQ(shape_of(net, "data"), (Shape{1, 1, 28, 28}));
  EXPECT_EQ(shape_of(net, "conv1"), (Shape{1, 20, 24, 24}));
  EXPECT_EQ(shape_of(net, "pool1"), (Shape{1, 20, 12, 12}));
  EXPECT_EQ(shape_of(net, "conv2"), (Shape{1, 50, 8, 8}));
  EXPECT_EQ(shape_of(net, "pool2"), (Shape{1, 50, 4, 4}));
  EXPECT_EQ(shape_of(net, "ip1"), (Shape{1, 500}));
  EXPECT_EQ(shape_of(net, "ip2"), (Shape{1, 10}));
  EXPECT_EQ(input_of(net, "pool1"), "conv1");  // no activation after the convs in Caffe's LeNet
}

TEST(PaperZoo, Cifar10SixConvHasThreePoolsAndNoBatchNorm) {
  const Network net = load("cifar10-6conv", 1);
  // (2x128C3)-MP2-(2x256C3)-MP2-(2x512C3)-MP2-(2x1024FC)-10: 32 -> 16 -> 8 -> 4.
  EXPECT_EQ(shape_of(net, "conv2"), (Shape{1, 128, 32, 32}));
  EXPECT_EQ(shape_of(net, "pool2"), (Shape{1, 128, 16, 16}));
  EXPECT_EQ(shape_of(net, "conv4"), (Shape{1, 256, 16, 16}));
  EXPECT_EQ(shape_of(net, "pool4"), (Shape{1, 256, 8, 8}));
  EXPECT_EQ(shape_of(net, "conv6"), (Shape{1, 512, 8, 8}));
  EXPECT_EQ(shape_of(net, "pool6"), (Shape{1, 512, 4, 4}));
  EXPECT_EQ(shape_of(net, "fc7"), (Shape{1, 1024}));
  EXPECT_EQ(shape_of(net, "fc8"), (Shape{1, 1024}));
  EXPECT_EQ(shape_of(net, "fc9"), (Shape{1, 10}));
  int convs = 0;
  for (const Layer& l : net.layers()) {
    EXPECT_NE(l.kind, LayerKind::bn) << l.name;
    convs += l.kind == LayerKind::conv ? 1 : 0;
  }
  EXPECT_EQ(convs, 6);
}

TEST(PaperZoo, ZfNetHasTheSizesOfFigure3) {
  const Network net = load("zf-net", 1);
  // Zeiler & Fergus, Figure 3: 224 -> 110 (96 7x7/2) -> 55 (3x3/2 pool) -> 26 (256 5x5/2) ->
  // 13 (pool) -> 13, 13, 13 (384, 384, 256 3x3) -> 6 (pool) -> 4096, 4096, 1000.
  EXPECT_EQ(shape_of(net, "conv1"), (Shape{1, 96, 110, 110}));
  EXPECT_EQ(shape_of(net, "pool1"), (Shape{1, 96, 55, 55}));
  EXPECT_EQ(shape_of(net, "conv2"), (Shape{1, 256, 26, 26}));
  EXPECT_EQ(shape_of(net, "pool2"), (Shape{1, 256, 13, 13}));
  EXPECT_EQ(shape_of(net, "conv3"), (Shape{1, 384, 13, 13}));
  EXPECT_EQ(shape_of(net, "conv4"), (Shape{1, 384, 13, 13}));
  EXPECT_EQ(shape_of(net, "conv5"), (Shape{1, 256, 13, 13}));
  EXPECT_EQ(shape_of(net, "pool5"), (Shape{1, 256, 6, 6}));
  EXPECT_EQ(shape_of(net, "fc6"), (Shape{1, 4096}));
  EXPECT_EQ(shape_of(net, "fc8"), (Shape{1, 1000}));
  // The paper's order: pool, then contrast normalization.
  EXPECT_EQ(input_of(net, "norm1"), "pool1");
  EXPECT_EQ(input_of(net, "norm2"), "pool2");
}

TEST(PaperZoo, LayerNamesMatchThePapersFigures) {
  // Figures 4 and 5 of the NeuralPower paper name NIN's conv1..conv4 and VGG-16's fc6.
  const Network nin = load("nin", 1);
  for (const char* name : {"conv1", "conv2", "conv3", "conv4", "cccp1", "cccp8", "pool4"}) {
    EXPECT_TRUE(nin.find(name).has_value()) << name;
  }
  const Network vgg = load("vgg-16", 1);
  for (const char* name : {"conv1_1", "conv5_3", "pool5", "fc6", "fc7", "fc8"}) {
    EXPECT_TRUE(vgg.find(name).has_value()) << name;
  }
}

}  // namespace
}  // namespace np
