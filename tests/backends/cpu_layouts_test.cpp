// Layers measured alone get their inputs in the layout a network run hands them: checked
// against the layouts of every zoo network, and against a network run's own time.
#include <gtest/gtest.h>

#include <map>

#include "backends/cpu/layer_program.hpp"
#include "neuralpower/backend_registry.hpp"
#include "neuralpower/config_text.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/load.hpp"

namespace np {
namespace {

TEST(CpuLayouts, IsolatedInputsTakeTheLayoutTheZooNetworksHandThem) {
  // Every input of a modelled layer that another layer computes, in every zoo network: the
  // layout handed_input_layout() gives the layer measured alone against the network's own.
  std::map<LayerKind, std::pair<int, int>> agree;  // kind -> (same, all)
  for (const auto& entry : zoo_entries()) {
    const Network net = load_network(entry.name, ImportOptions{});
    const std::vector<cpu::Layout> layouts = cpu::network_layouts(net);
    for (int id = 0; id < net.size(); ++id) {
      const Layer& layer = net.layer(id);
      if (!is_modelled_kind(layer.kind)) continue;
      for (int input : layer.inputs) {
        const Layer& producer = net.layer(input);
        if (producer.kind == LayerKind::input) continue;
        auto& [same, all] = agree[layer.kind];
        same += cpu::handed_input_layout(layer, producer.output_shape) ==
                layouts[static_cast<size_t>(input)];
        ++all;
      }
    }
  }
  for (const auto& [kind, counts] : agree) {
    const double share = static_cast<double>(counts.first) / counts.second;
    std::cout << to_string(kind) << ": " << counts.first << " of " << counts.second
              << " inputs in the network's layout\n";
    // The residual adds of Swin's and MaxViT's windows and of ConvNeXt's blocks add N x H x W x C
    // token tensors that fc layers left plain, which an add measured alone cannot tell from an
    // N x C x H x W image (0.87 of the zoo's add inputs agree). Both operands of such an add
    // share one layout either way, so its work does not change.
    EXPECT_GE(share, kind == LayerKind::add ? 0.85 : 0.9) << to_string(kind);
  }
  EXPECT_GE(agree.size(), 12u);
}

TEST(CpuLayouts, ANetworkInputStaysPlainForTheFirstConvolution) {
  const Network net = load_network("resnet18", ImportOptions{});
  const std::vector<cpu::Layout> prepared = cpu::prepared_input_layouts(net, 1);
  ASSERT_EQ(net.layer(1).kind, LayerKind::conv);
  EXPECT_EQ(prepared, std::vector<cpu::Layout>{cpu::Layout::plain});  // a 3-channel image
  // The same convolution measured alone keeps the plain image input.
  const Network one = extract_layer(net, 1);
  EXPECT_EQ(cpu::prepared_input_layouts(one, one.size() - 1),
            std::vector<cpu::Layout>{cpu::Layout::plain});
}

TEST(CpuLayouts, ABatchNormMeasuredAloneRunsTheChannelsLastKernel) {
  // In a network a batch norm follows a convolution's channels-last output; measured alone it
  // must run the same implementation, not oneDNN's plain-layout one (ncsp_bnorm).
  const Network net = load_network("resnet18", ImportOptions{});
  int bn = -1;
  for (int id = 0; id < net.size() && bn < 0; ++id) {
    if (net.layer(id).kind == LayerKind::bn) bn = id;
  }
  ASSERT_GE(bn, 0);
  auto backend = make_backend("cpu");
  const Network one = extract_layer(net, bn);
  const std::string alone = backend->prepare(one, one.size() - 1, RunSettings{})->algorithm();
  const std::string in_network = backend->prepare(net, bn, RunSettings{})->algorithm();
  EXPECT_EQ(alone, in_network);
  EXPECT_EQ(alone.find("ncsp"), std::string::npos) << alone;
}

}  // namespace
}  // namespace np
