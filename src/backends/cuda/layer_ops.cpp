#include "backends/cuda/layer_ops.hpp"

#include "backends/common/canonical_data.hpp"
#include "backends/cuda/cudnn_descriptors.hpp"
#include "backends/cuda/kernels.hpp"
#include "backends/cuda/layer_plan.hpp"

namespace np::cuda {

cudnnDataType_t cudnn_data_type(DataType dtype) {
  switch (dtype) {
    case DataType::fp32:
      return CUDNN_DATA_FLOAT;
    case DataType::fp16:
      return CUDNN_DATA_HALF;
    case DataType::bf16:
      return CUDNN_DATA_BFLOAT16;
    case DataType::int8:
      break;
  }
  throw UnsupportedLayer("the CUDA backend runs fp32, fp16 and bf16, not " +
                         std::string(to_string(dtype)));
}

void set_nchw(const TensorDescriptor& descriptor, DataType dtype,
              const std::array<int64_t, 4>& dims) {
  int64_t count = 1;
  for (int64_t d : dims) {
    require_int32(d, "a tensor dimension");
    count *= d;
  }
  require_int32(count, "a tensor's element count");
  NP_CUDA_CHECK(cudnnSetTensor4dDescriptor(
      descriptor.get(), CUDNN_TENSOR_NCHW, cudnn_data_type(dtype), static_cast<int>(dims[0]),
      static_cast<int>(dims[1]), static_cast<int>(dims[2]), static_cast<int>(dims[3])));
}

DeviceBuffer make_filled_buffer(const CudaContext& context, DataType dtype, int64_t count,
                                TensorRole role, int64_t offset, bool variance) {
  DeviceBuffer buffer(count * element_bytes(dtype));
  launch_fill_test_values(dtype, buffer.data(), count, static_cast<uint64_t>(role), offset,
                          variance, context.stream());
  return buffer;
}

std::vector<DeviceBuffer> make_parameter_buffers(const OpEnvironment& env, const Layer& layer,
                                                 const std::vector<DeviceTensor>& inputs) {
  std::vector<Shape> input_shapes;
  for (const auto& input : inputs) input_shapes.push_back(input.shape);
  const DataType dtype = parameters_are_fp32(layer.kind) ? DataType::fp32 : env.settings.dtype;
  std::vector<DeviceBuffer> buffers;
  for (const auto& tensor : canonical_parameters(layer, input_shapes)) {
    buffers.push_back(make_filled_buffer(env.context, dtype, element_count(tensor.shape),
                                         tensor.role, tensor.offset, tensor.variance));
  }
  return buffers;
}

std::unique_ptr<LayerOp> make_layer_op(OpEnvironment& env, const Layer& layer,
                                       const std::vector<DeviceTensor>& inputs,
                                       const DeviceTensor& output) {
  if (is_zero_cost(layer.kind)) return nullptr;
  (void)cudnn_data_type(env.settings.dtype);  // int8 is refused before anything is made
  switch (layer.kind) {
    case LayerKind::conv:
      return make_conv_op(env, layer, inputs, output);
    case LayerKind::pool:
    case LayerKind::bn:
    case LayerKind::act:
    case LayerKind::lrn:
    case LayerKind::softmax:
      return make_cudnn_op(env, layer, inputs, output);
    case LayerKind::fc:
    case LayerKind::matmul:
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max:
    case LayerKind::concat:
    case LayerKind::layernorm:
    case LayerKind::transpose:
    case LayerKind::slice:
    case LayerKind::resize:
      return make_kernel_op(env, layer, inputs, output);
    default:
      break;
  }
  throw UnsupportedLayer("layer kind '" + std::string(to_string(layer.kind)) +
                         "' has no CUDA implementation");
}

}  // namespace np::cuda
