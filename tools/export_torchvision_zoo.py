#!/usr/bin/python3
"""Exports torchvision's ImageNet classifiers as weight-free ONNX files for the zoo.

Run with Debian's interpreter (python3-torch, python3-torchvision, python3-onnx):

    /usr/bin/python3 tools/export_torchvision_zoo.py

For every model it writes zoo/onnx/<name>.onnx and, for all of them, zoo/onnx/_reference.json
with reference numbers computed in torch (parameter counts, conv and fc multiply-adds from
forward hooks, output shape). The tests in tests/zoo/ compare our importer and cost model
against those numbers, so nothing here may use the tool itself.

How a file is made:
  * the model is built with weights=None (nothing is downloaded) and put in eval mode;
  * every parameter and float buffer gets a distinct random value: the exporter merges
    initializers with identical contents, which would hide parameters of freshly
    initialised layers (all BN weights are 1, all BN biases 0);
  * the export uses batch 1 x 3 x 224 x 224 with fixed shapes, opset 17, and
    TrainingMode.PRESERVE: in EVAL mode the exporter fuses BatchNormalization into the
    preceding Conv, and the zoo wants batch norm as a layer of its own. Constant folding
    stays on so that reshape targets become constants;
  * integer shape arithmetic that the exporter leaves in the graph (Shape -> Gather -> Div
    -> Slice bounds of ShuffleNet's channel split) is folded into constants, which is
    possible because every shape is fixed;
  * activations and weights get short tensor names (t<i>, p<i>); node names keep torch's
    module paths ("/layer1/layer1.0/conv1/Conv");
  * finally the data of every float initializer is dropped (name, dims and data type stay),
    so a file is 2-66 kB. Integer initializers and constants (reshape targets, slice
    bounds) keep their data: they are needed to infer shapes.

The output is deterministic (each model is seeded from its name) and the script is
idempotent: a file whose bytes would not change is not rewritten.
"""

import io
import json
import os
import sys
import warnings
import zlib

import numpy as np
import onnx
import torch
import torchvision
from onnx import helper, numpy_helper, shape_inference

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "zoo", "onnx")
OPSET = 17
INPUT_SHAPE = (1, 3, 224, 224)

# name -> extra builder arguments. GoogLeNet's auxiliary classifiers only run in training,
# and its truncated-normal init is slow and pointless here.
MODELS = {
    "alexnet": {},
    "vgg16": {},
    "vgg19": {},
    "googlenet": {"aux_logits": False, "init_weights": False},
    "resnet18": {},
    "resnet34": {},
    "resnet50": {},
    "resnet101": {},
    "mobilenet_v2": {},
    "mobilenet_v3_large": {},
    "mobilenet_v3_small": {},
    "squeezenet1_0": {},
    "squeezenet1_1": {},
    "densenet121": {},
    "efficientnet_b0": {},
    "efficientnet_b1": {},
    "shufflenet_v2_x1_0": {},
    "regnet_x_400mf": {},
    "regnet_y_400mf": {},
    "convnext_tiny": {},
}

# Parameter counts torchvision publishes for networks without batch norm (model docs).
# Asserted literally, besides the check against each weight enum's "num_params".
PUBLISHED_BN_FREE_PARAMS = {
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "squeezenet1_0": 1_248_424,
    "squeezenet1_1": 1_235_496,
}

# Float Constant nodes larger than this become (cleared) initializers; scalars such as
# GELU's sqrt(2) stay constants.
MAX_KEPT_FLOAT_CONSTANT = 16


def build_model(name, kwargs):
    torch.manual_seed(zlib.crc32(name.encode()))
    model = torchvision.models.get_model(name, weights=None, **kwargs).eval()
    tensors = list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]
    with torch.no_grad():
        for index, tensor in enumerate(tensors):
            # Values of tensor i lie in [i, i + 1): no two tensors can be equal.
            tensor.copy_(torch.rand(tensor.shape) + float(index))
    return model


def batchnorm_modules(model):
    return [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def torch_reference(model):
    """Counts computed in torch, independently of the ONNX file and of our tool."""
    conv_macs = 0
    fc_macs = 0

    def on_conv(module, _inputs, output):
        nonlocal conv_macs
        kh, kw = module.kernel_size
        conv_macs += output.numel() * (module.in_channels // module.groups) * kh * kw

    def on_linear(module, _inputs, output):
        nonlocal fc_macs
        fc_macs += output.numel() * module.in_features

    hooks = []
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            hooks.append(module.register_forward_hook(on_conv))
        elif isinstance(module, torch.nn.Linear):
            hooks.append(module.register_forward_hook(on_linear))
    with torch.no_grad():
        output = model(torch.zeros(INPUT_SHAPE))
    for hook in hooks:
        hook.remove()

    bns = batchnorm_modules(model)
    return {
        "params_torch": sum(p.numel() for p in model.parameters()),
        "bn_modules": len(bns),
        "bn_stats": sum(m.running_mean.numel() + m.running_var.numel() for m in bns),
        "conv_macs": conv_macs,
        "fc_macs": fc_macs,
        "output_shape": list(output.shape),
    }


def export(model):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # PRESERVE with constant folding warns that folding may alter trainable
        # parameters; in eval mode it only folds shape arithmetic and weight transposes.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            torch.zeros(INPUT_SHAPE),
            buffer,
            opset_version=OPSET,
            input_names=["input"],
            output_names=["output"],
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=True,
        )
    return onnx.load_from_string(buffer.getvalue())


def static_shapes(model):
    inferred = shape_inference.infer_shapes(model)
    shapes = {}
    for value in list(inferred.graph.value_info) + list(inferred.graph.input):
        dims = value.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            shapes[value.name] = [d.dim_value for d in dims]
    return shapes


def attribute(node, name, default):
    for attr in node.attribute:
        if attr.name == name:
            return helper.get_attribute_value(attr)
    return default


def evaluate_integer_node(node, args):
    """numpy value of an integer-only node, or None when the op is not folded here."""
    op = node.op_type
    if op == "Gather":
        return np.take(args[0], args[1], axis=attribute(node, "axis", 0))
    if op in ("Add", "Sub", "Mul"):
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[op](args[0], args[1])
    if op == "Div":  # integer Div truncates towards zero
        return (np.trunc(args[0] / args[1])).astype(args[0].dtype)
    if op == "Unsqueeze":
        return np.expand_dims(args[0], tuple(int(a) for a in args[1]))
    if op == "Squeeze":
        return np.squeeze(args[0], tuple(int(a) for a in args[1]) if len(args) > 1 else None)
    if op == "Concat":
        return np.concatenate(args, axis=attribute(node, "axis", 0))
    if op == "Identity":
        return args[0]
    return None


def fold_shape_arithmetic(model):
    """Replaces Shape of fixed-shape tensors and the integer arithmetic on it by constants."""
    shapes = static_shapes(model)
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer
              if t.data_type == onnx.TensorProto.INT64}
    nodes = []
    for node in model.graph.node:
        value = None
        if node.op_type == "Constant":
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif node.op_type == "Shape" and node.input[0] in shapes:
            dims = shapes[node.input[0]]
            start, end = attribute(node, "start", 0), attribute(node, "end", len(dims))
            value = np.array(dims[start:end], dtype=np.int64)
        elif node.input and all(i in values and values[i].dtype.kind == "i" for i in node.input):
            value = evaluate_integer_node(node, [values[i] for i in node.input])
        if value is None:
            nodes.append(node)
            continue
        value = np.asarray(value)
        values[node.output[0]] = value
        nodes.append(helper.make_node(
            "Constant", [], [node.output[0]], name=node.name,
            value=numpy_helper.from_array(value, node.output[0])))
    # Drop nodes whose outputs nobody reads any more (the folded Shape chains).
    live = {o.name for o in model.graph.output}
    kept = []
    for node in reversed(nodes):
        if any(o in live for o in node.output):
            kept.append(node)
            live.update(node.input)
    del model.graph.node[:]
    model.graph.node.extend(reversed(kept))
    for tensor in [t for t in model.graph.initializer if t.name not in live]:
        model.graph.initializer.remove(tensor)


def large_float_constants_to_initializers(model):
    for node in list(model.graph.node):
        if node.op_type != "Constant" or node.attribute[0].name != "value":
            continue
        tensor = node.attribute[0].t
        if tensor.data_type != onnx.TensorProto.FLOAT:
            continue
        if int(np.prod(tensor.dims, dtype=np.int64)) <= MAX_KEPT_FLOAT_CONSTANT:
            continue
        initializer = onnx.TensorProto()
        initializer.CopyFrom(tensor)
        initializer.name = node.output[0]
        model.graph.initializer.append(initializer)
        model.graph.node.remove(node)


def shorten_tensor_names(model):
    """Renames weights to p<i> and activations to t<i>; node names keep the module paths.

    torch names every activation after the node that makes it and every weight after its
    module, so each path appeared three or four times; this roughly halves the files.
    """
    keep = {v.name for v in list(model.graph.input) + list(model.graph.output)}
    names = {}
    for index, tensor in enumerate(model.graph.initializer):
        names[tensor.name] = f"p{index}"
    for node in model.graph.node:
        for output in node.output:
            if output not in keep:
                names[output] = f"t{len(names) - len(model.graph.initializer)}"
    for tensor in model.graph.initializer:
        tensor.name = names[tensor.name]
    for node in model.graph.node:
        for tensor_list in (node.input, node.output):
            for i, name in enumerate(tensor_list):
                tensor_list[i] = names.get(name, name)
        for attr in node.attribute:
            if attr.HasField("t"):
                attr.t.name = names.get(attr.t.name, attr.t.name)


def float_initializer_elements(model):
    return sum(int(np.prod(t.dims, dtype=np.int64)) for t in model.graph.initializer
               if t.data_type == onnx.TensorProto.FLOAT)


def strip_float_data(model):
    for tensor in model.graph.initializer:
        if tensor.data_type == onnx.TensorProto.FLOAT:
            tensor.ClearField("raw_data")
            tensor.ClearField("float_data")


def count_ops(model, op_type):
    return sum(1 for node in model.graph.node if node.op_type == op_type)


def check(condition, message):
    if not condition:
        raise SystemExit("export_torchvision_zoo: " + message)


def write_if_changed(path, data):
    if os.path.exists(path):
        with open(path, "rb") as existing:
            if existing.read() == data:
                return False
    with open(path, "wb") as out:
        out.write(data)
    return True


def export_one(name, kwargs):
    model = build_model(name, kwargs)
    reference = torch_reference(model)
    published = torchvision.models.get_model_weights(name).DEFAULT.meta["num_params"]
    check(reference["params_torch"] == published,
          f"{name}: {reference['params_torch']} parameters, torchvision publishes {published}")
    if name in PUBLISHED_BN_FREE_PARAMS:
        check(reference["bn_modules"] == 0, f"{name} is expected to have no batch norm")
        check(reference["params_torch"] == PUBLISHED_BN_FREE_PARAMS[name],
              f"{name}: {reference['params_torch']} parameters, "
              f"expected {PUBLISHED_BN_FREE_PARAMS[name]}")
    reference["published_params"] = published

    graph = export(model)
    fold_shape_arithmetic(graph)
    large_float_constants_to_initializers(graph)
    shorten_tensor_names(graph)
    onnx.checker.check_model(graph)

    bn_nodes = count_ops(graph, "BatchNormalization")
    check(bn_nodes == reference["bn_modules"],
          f"{name}: {bn_nodes} BatchNormalization nodes for {reference['bn_modules']} modules")
    check(count_ops(graph, "Shape") == 0, f"{name}: Shape nodes left after folding")
    initializer_names = [t.name for t in graph.graph.initializer]
    check(len(initializer_names) == len(set(initializer_names)),
          f"{name}: duplicate initializer names")
    elements = float_initializer_elements(graph)
    # Every parameter and BN statistic must reach the file once (none merged, none lost).
    check(elements == reference["params_torch"] + reference["bn_stats"],
          f"{name}: {elements} float initializer elements, expected "
          f"{reference['params_torch']} parameters + {reference['bn_stats']} BN statistics")
    reference["float_initializer_elements"] = elements

    strip_float_data(graph)
    # ONNX's own shape inference on the final file must reach torch's output shape.
    inferred = shape_inference.infer_shapes(graph, strict_mode=True)
    output_dims = [d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
    check(output_dims == reference["output_shape"],
          f"{name}: ONNX infers output {output_dims}, torch gives {reference['output_shape']}")
    graph.producer_name = "neuralpower tools/export_torchvision_zoo.py (torch.onnx)"
    graph.doc_string = f"torchvision {torchvision.__version__} {name}, weights stripped"
    data = graph.SerializeToString()
    path = os.path.join(OUT_DIR, name + ".onnx")
    changed = write_if_changed(path, data)
    print(f"{name:20s} {len(data):7d} bytes  params {reference['params_torch']:>11,}  "
          f"BN {reference['bn_modules']:3d}  conv+fc "
          f"{(reference['conv_macs'] + reference['fc_macs']) / 1e9:6.3f} GMAC"
          f"{'  (written)' if changed else ''}")
    return reference


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    models = {name: export_one(name, kwargs) for name, kwargs in MODELS.items()}
    reference = {
        "generator": "tools/export_torchvision_zoo.py",
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "onnx_opset": OPSET,
        "input_shape": list(INPUT_SHAPE),
        "models": models,
    }
    text = json.dumps(reference, indent=2, sort_keys=True) + "\n"
    write_if_changed(os.path.join(OUT_DIR, "_reference.json"), text.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
