#!/usr/bin/python3
"""Writes the ONNX fixtures of tests/onnx/fixtures/ (run with Debian's /usr/bin/python3:
torch 1.13, torchvision 0.14, onnx 1.12). Weights are cleared the way the zoo files are:
float initializers keep their dims but lose their data; int64 initializers keep their data.

    /usr/bin/python3 tests/onnx/make_fixtures.py
"""
import io
import os

import onnx
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
OPSET = 17


def strip_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    float_types = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
                   onnx.TensorProto.BFLOAT16}
    for init in model.graph.initializer:
        if init.data_type in float_types:
            init.ClearField("raw_data")
            init.ClearField("float_data")
            init.ClearField("double_data")
            init.ClearField("int32_data")
    return model


def export(module: torch.nn.Module, example: torch.Tensor, name: str, dynamic_batch: bool):
    module.eval()
    buffer = io.BytesIO()
    axes = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic_batch else None
    torch.onnx.export(module, example, buffer, opset_version=OPSET, input_names=["input"],
                      output_names=["output"], dynamic_axes=axes, do_constant_folding=True)
    model = strip_weights(onnx.load_from_string(buffer.getvalue()))
    path = os.path.join(FIXTURES, name)
    onnx.save(model, path)
    print(f"{path}: {os.path.getsize(path)} bytes, "
          f"{len(model.graph.node)} nodes")


class Fusions(torch.nn.Module):
    """Conv -> GELU (exported as its erf form) -> SiLU (x * sigmoid(x)) -> a Linear on the
    channels-last 4-D tensor (MatMul + Add)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(8, 16, 3, padding=1)
        self.gelu = torch.nn.GELU()
        self.silu = torch.nn.SiLU()
        self.linear = torch.nn.Linear(16, 10)

    def forward(self, x):
        y = self.silu(self.gelu(self.conv(x)))
        return self.linear(y.permute(0, 2, 3, 1))


def fake_quantized_resnet18() -> torch.nn.Module:
    """torchvision's quantizable ResNet-18, fused (Conv+BN+ReLU) and prepared for
    quantization-aware training with per-channel weight fake-quantization, calibrated on one
    random batch: its export is a QDQ graph (QuantizeLinear -> Clip -> DequantizeLinear around
    every activation, QuantizeLinear -> DequantizeLinear on every weight)."""
    from torch.ao import quantization as q
    model = torchvision.models.quantization.resnet18(weights=None, quantize=False)
    model.eval()
    model.fuse_model(is_qat=False)
    model.qconfig = q.QConfig(activation=q.default_fake_quant,
                              weight=q.default_per_channel_weight_fake_quant)
    model.train()
    q.prepare_qat(model, inplace=True)
    with torch.no_grad():
        model(torch.randn(2, 3, 224, 224))
    model.apply(q.disable_observer)
    return model


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    torch.manual_seed(0)
    export(torchvision.models.shufflenet_v2_x1_0(weights=None), torch.randn(2, 3, 224, 224),
           "shufflenet_v2_x1_0_dynamic_batch.onnx", dynamic_batch=True)
    export(Fusions(), torch.randn(2, 8, 6, 5), "fusions.onnx", dynamic_batch=True)
    export(fake_quantized_resnet18(), torch.randn(1, 3, 224, 224), "resnet18_qdq.onnx",
           dynamic_batch=False)


if __name__ == "__main__":
    main()
