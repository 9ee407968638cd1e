// Which handler maps which ONNX op (default domain).
#include <unordered_map>

#include "op_handlers.hpp"

namespace np::onnx_import {

Handler find_handler(const std::string& op_type) {
  static const std::unordered_map<std::string, Handler> handlers = {
      {"Conv", map_conv},
      {"MaxPool", map_pool},
      {"AveragePool", map_pool},
      {"GlobalAveragePool", map_global_pool},
      {"GlobalMaxPool", map_global_pool},
      {"ReduceMean", map_spatial_reduce},
      {"ReduceMax", map_spatial_reduce},
      {"Gemm", map_gemm},
      {"MatMul", map_matmul},
      {"Einsum", map_einsum},
      {"Gather", map_gather},
      {"BatchNormalization", map_batch_norm},
      {"Relu", map_activation},
      {"LeakyRelu", map_activation},
      {"Clip", map_activation},
      {"Sigmoid", map_activation},
      {"HardSigmoid", map_activation},
      {"HardSwish", map_activation},
      {"Tanh", map_activation},
      {"Gelu", map_activation},
      // Sub and Div cost what Add and Mul cost: one operation per output element.
      {"Add", map_elementwise},
      {"Sub", map_elementwise},
      {"Mul", map_elementwise},
      {"Div", map_elementwise},
      {"Max", map_elementwise},
      {"Min", map_elementwise},
      {"Sum", map_elementwise},
      {"Concat", map_concat},
      {"LRN", map_lrn},
      {"Resize", map_resize},
      {"Upsample", map_resize},
      {"Softmax", map_softmax},
      {"LogSoftmax", map_softmax},
      {"LayerNormalization", map_layer_norm},
      {"Transpose", map_transpose},
      {"Reshape", map_reshape},
      {"Squeeze", map_reshape},
      {"Unsqueeze", map_reshape},
      {"Flatten", map_flatten},
      {"Slice", map_slice},
      {"Split", map_split},
      {"Pad", map_pad},
      {"Dropout", map_passthrough},
      {"Identity", map_passthrough},
      {"Cast", map_passthrough},
  };
  const auto it = handlers.find(op_type);
  return it == handlers.end() ? nullptr : it->second;
}

}  // namespace np::onnx_import
