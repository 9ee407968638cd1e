#!/usr/bin/python3
"""Exports torchvision's vision models as weight-free ONNX files for the zoo.

Run with Debian's interpreter (python3-torch, python3-torchvision, python3-onnx):

    /usr/bin/python3 tools/export_torchvision_zoo.py [NAME ...]

Without names it exports every model below and rewrites zoo/onnx/_reference.json; with names
it exports only those and updates their entries. Every network goes to zoo/onnx/<name>.onnx
with its reference numbers under "models", which tests/zoo/torchvision_zoo_test.cpp compares
with the tool one by one.

The reference numbers are computed in torch and from the ONNX graph with onnx's own shape
inference, never with our tool, because the C++ tests compare the tool against them:

  * parameters: torch's count, checked against torchvision's published "num_params";
  * conv_macs: nn.Conv2d forward hooks, out.numel * C_in/groups * k_h * k_w;
  * fc_macs: every linear layer (a matrix product with a weight). It is counted on torch's
    operator level (aten mm/addmm/bmm/baddbmm with an operand that shares storage with a
    parameter), because nn.Linear forward hooks miss the projections that torchvision applies
    functionally (nn.MultiheadAttention's in/out projections in ViT, F.linear on qkv/proj in
    Swin); fc_macs_module_hooks keeps the hooks' count;
  * matmul_macs: matrix products of two activations (attention's Q.K^T and A.V), counted from
    the exported graph: every MatMul/Gemm/Einsum node with no constant operand contributes
    batch dims x M x N x K from the shapes onnx infers. The same products counted in torch
    (aten products without a parameter operand) must agree, and so must the graph's weight
    products with fc_macs and its Conv nodes with conv_macs;
  * published_gflops: the GFLOPS torchvision's model documentation lists for the model (the
    "_ops" of the weights' metadata, multiply-adds counted once, at the weights' input size).

How a file is made:
  * the model is built with weights=None (and weights_backbone=None: nothing is downloaded)
    and put in eval mode;
  * every parameter and float buffer gets a distinct random value: the exporter merges
    initializers with identical contents, which would hide parameters of freshly
    initialised layers (all BN weights are 1, all BN biases 0);
  * the export uses batch 1 with fixed shapes (classifiers and segmenters N x 3 x H x W,
    detectors a list of one 3 x H x W image), opset 17, and TrainingMode.PRESERVE: in EVAL
    mode the exporter fuses BatchNormalization into the preceding Conv, and the zoo wants
    batch norm as a layer of its own. Constant folding stays on so that reshape targets
    become constants;
  * every node whose inputs are all constants (including Shape of a tensor whose shape onnx
    infers statically) is replaced by a Constant, repeatedly, until nothing changes: the
    exporter leaves shape arithmetic in the graph (ShuffleNet's channel split, Swin's window
    padding and shift masks, the detectors' resize factors). Nodes reading parameters are
    never folded. What remains depends on the image (the detectors' post-processing);
  * activations and weights get short tensor names (t<i>, p<i>); node names keep torch's
    module paths ("/layer1/layer1.0/conv1/Conv");
  * finally the data of every float initializer is dropped (name, dims and data type stay),
    so a file is a few kB to a few hundred kB. Integer initializers and constants (reshape
    targets, slice bounds) keep their data: they are needed to infer shapes. Folded float
    constants larger than 16 elements (Swin's attention masks, the detectors' anchors)
    become initializers too and are listed as float_constant_elements.

The output is deterministic (each model is seeded from its name) and the script is
idempotent: a file whose bytes would not change is not rewritten.
"""

import collections
import dataclasses
import io
import json
import math
import os
import sys
import warnings
import zlib

import numpy as np
import onnx
import torch
import torchvision
from onnx import helper, mapping, numpy_helper, shape_inference
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO_DIR = os.path.join(REPO_ROOT, "zoo", "onnx")
REFERENCE_PATH = os.path.join(ZOO_DIR, "_reference.json")
OPSET = 17
BATCH_CHECK = 8


@dataclasses.dataclass(frozen=True)
class Spec:
    task: str = "classification"  # or "segmentation", "detection"
    size: int = 224  # input height = width
    kwargs: dict = dataclasses.field(default_factory=dict)
    # How torchvision's published num_params relates to this model's parameters:
    #   "model": equal;
    #   "with_aux": the published weights carry the auxiliary classifier (built with the
    #     arguments in aux), which only runs in training and is left out here;
    #   "frozen_backbone_bn": the published model's backbone uses FrozenBatchNorm2d, whose
    #     scale and shift are buffers; with weights_backbone=None the backbone has trainable
    #     BatchNorm2d, so its BN scales and shifts are parameters here.
    published_params: str = "model"
    aux: dict = dataclasses.field(default_factory=dict)


# GoogLeNet's and Inception's auxiliary classifiers only run in training, and their
# truncated-normal init is slow and pointless here.
NO_AUX_INIT = {"aux_logits": False, "init_weights": False}
SEGMENTATION = {"weights_backbone": None}
DETECTION = {"weights_backbone": None}

MODELS = {
    # The zoo's twenty ImageNet classifiers, 224 x 224.
    "alexnet": Spec(),
    "vgg16": Spec(),
    "vgg19": Spec(),
    "googlenet": Spec(kwargs=NO_AUX_INIT),
    "resnet18": Spec(),
    "resnet34": Spec(),
    "resnet50": Spec(),
    "resnet101": Spec(),
    "mobilenet_v2": Spec(),
    "mobilenet_v3_large": Spec(),
    "mobilenet_v3_small": Spec(),
    "squeezenet1_0": Spec(),
    "squeezenet1_1": Spec(),
    "densenet121": Spec(),
    "efficientnet_b0": Spec(),
    "efficientnet_b1": Spec(),
    "shufflenet_v2_x1_0": Spec(),
    "regnet_x_400mf": Spec(),
    "regnet_y_400mf": Spec(),
    "convnext_tiny": Spec(),
    # One classifier of every other family, at the crop size of the model's own transforms.
    "resnext50_32x4d": Spec(),
    "wide_resnet50_2": Spec(),
    "inception_v3": Spec(size=299, kwargs=NO_AUX_INIT, published_params="with_aux",
                         aux={"aux_logits": True}),
    "mnasnet1_0": Spec(),
    "efficientnet_v2_s": Spec(size=384),
    "vit_b_16": Spec(),
    "swin_t": Spec(),
    "maxvit_t": Spec(),
    # Segmentation at 520 x 520, the size their transforms resize to (and at which torchvision
    # states their GFLOPS).
    "fcn_resnet50": Spec("segmentation", 520, {**SEGMENTATION, "aux_loss": False},
                         published_params="with_aux", aux={"aux_loss": True}),
    "deeplabv3_mobilenet_v3_large": Spec("segmentation", 520,
                                         {**SEGMENTATION, "aux_loss": False},
                                         published_params="with_aux", aux={"aux_loss": True}),
    "lraspp_mobilenet_v3_large": Spec("segmentation", 520, SEGMENTATION),
    # Detection: a list of one image, of a size the model's transform keeps (SSDlite resizes
    # to 320 x 320; the others scale the shorter side to 800 unless the longer one would
    # exceed 1333), so that the Resize inside the graph keeps the size.
    "ssdlite320_mobilenet_v3_large": Spec("detection", 320, DETECTION),
    "retinanet_resnet50_fpn": Spec("detection", 800, DETECTION,
                                   published_params="frozen_backbone_bn"),
    "fasterrcnn_mobilenet_v3_large_fpn": Spec("detection", 800, DETECTION,
                                              published_params="frozen_backbone_bn"),
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

# GFLOPS of torchvision's model documentation (the tables of
# https://pytorch.org/vision/stable/models.html and the per-model pages, which print the
# weights' "_ops" metadata rounded to two decimals; the three-decimal "_ops" values of
# torchvision >= 0.15 are given here). Torchvision counts a multiply-add once, including
# attention's matrix products, at the input size of the weights' transforms: 224 except
# inception_v3 (299), efficientnet_b1 (240; the zoo file is 224), efficientnet_v2_s (384),
# the segmenters (520). Debian's torchvision 0.14.1 has no "_ops" in its metadata.
PUBLISHED_GFLOPS = {
    "alexnet": 0.714,
    "vgg16": 15.47,
    "vgg19": 19.632,
    "googlenet": 1.498,
    "resnet18": 1.814,
    "resnet34": 3.664,
    "resnet50": 4.089,
    "resnet101": 7.801,
    "mobilenet_v2": 0.301,
    "mobilenet_v3_large": 0.217,
    "mobilenet_v3_small": 0.057,
    "squeezenet1_0": 0.819,
    "squeezenet1_1": 0.349,
    "densenet121": 2.834,
    "efficientnet_b0": 0.386,
    "efficientnet_b1": 0.687,
    "shufflenet_v2_x1_0": 0.145,
    "regnet_x_400mf": 0.414,
    "regnet_y_400mf": 0.402,
    "convnext_tiny": 4.456,
    "resnext50_32x4d": 4.23,
    "wide_resnet50_2": 11.398,
    "inception_v3": 5.713,
    "mnasnet1_0": 0.314,
    "efficientnet_v2_s": 8.366,
    "vit_b_16": 17.564,
    "swin_t": 4.491,
    "maxvit_t": 5.558,
    "fcn_resnet50": 152.717,
    "deeplabv3_mobilenet_v3_large": 10.452,
    "lraspp_mobilenet_v3_large": 2.086,
    "ssdlite320_mobilenet_v3_large": 0.583,
    "retinanet_resnet50_fpn": 151.54,
    "fasterrcnn_mobilenet_v3_large_fpn": 4.494,
}

# Models also exported at batch 8 (in memory) to record how the graph's counts scale.
BATCH8_EXPORTS = ("resnext50_32x4d", "vit_b_16", "swin_t", "maxvit_t")

# Float Constant nodes larger than this become (cleared) initializers; scalars such as
# GELU's sqrt(2) stay constants.
MAX_KEPT_FLOAT_CONSTANT = 16
# Folding leaves integer constants with their data in the file; one larger than this
# (Faster R-CNN's pyramid level of each anchor, 21,285 int64) stays the few nodes that
# compute it instead.
MAX_KEPT_INTEGER_CONSTANT = 1024


def check(condition, message):
    if not condition:
        raise SystemExit("export_torchvision_zoo: " + message)


# --- building -----------------------------------------------------------------------------

def build_model(name, spec, **overrides):
    torch.manual_seed(zlib.crc32(name.encode()))
    model = torchvision.models.get_model(name, weights=None, **{**spec.kwargs, **overrides})
    model.eval()
    tensors = list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]
    with torch.no_grad():
        for index, tensor in enumerate(tensors):
            # Values of tensor i lie in [i, i + 1): no two tensors can be equal.
            tensor.copy_(torch.rand(tensor.shape) + float(index))
    return model


def example_input(spec, batch):
    if spec.task == "detection":
        return ([torch.zeros(3, spec.size, spec.size) for _ in range(batch)],)
    return (torch.zeros(batch, 3, spec.size, spec.size),)


def input_shape(spec, batch=1):
    if spec.task == "detection":
        return [3, spec.size, spec.size]
    return [batch, 3, spec.size, spec.size]


def batchnorm_modules(model):
    return [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def gathered_position_bias_elements(model):
    """Elements the exporter adds by folding relative position biases (Swin, MaxViT).

    Their attention reads table[index], a parameter gathered with a constant index buffer;
    torch's constant folding replaces the table (rows x heads) by the gathered bias
    (index entries x heads) in the file.
    """
    added = 0
    for module in model.modules():
        table = getattr(module, "relative_position_bias_table", None)
        index = getattr(module, "relative_position_index", None)
        if isinstance(table, torch.Tensor) and isinstance(index, torch.Tensor):
            added += index.numel() * (table.numel() // table.shape[0]) - table.numel()
    return added


def published_params(name, spec, model):
    """torchvision's num_params, checked against this model's parameters as spec says."""
    published = torchvision.models.get_model_weights(name).DEFAULT.meta["num_params"]
    params = count_params(model)
    if spec.published_params == "model":
        check(params == published,
              f"{name}: {params} parameters, torchvision publishes {published}")
    elif spec.published_params == "with_aux":
        with_aux = count_params(build_model(name, spec, **spec.aux))
        check(with_aux == published,
              f"{name}: {with_aux} parameters with {spec.aux}, torchvision publishes {published}")
    elif spec.published_params == "frozen_backbone_bn":
        affine = sum(m.weight.numel() + m.bias.numel() for m in batchnorm_modules(model.backbone))
        check(params - affine == published,
              f"{name}: {params} parameters - {affine} backbone BN scales and shifts, "
              f"torchvision publishes {published}")
    else:
        check(False, f"{name}: unknown published_params rule {spec.published_params}")
    return published


# --- counting in torch --------------------------------------------------------------------

class _InertFunctionMode(TorchFunctionMode):
    """Any active torch-function mode makes nn.MultiheadAttention skip its fused inference
    fast path (which torch.onnx.export does not take either), so that its products reach
    the dispatcher as mm/bmm and can be counted."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


class _ProductCounter(TorchDispatchMode):
    """Multiply-adds of every convolution and matrix product torch executes."""

    ATEN = torch.ops.aten
    PRODUCTS = {ATEN.mm: (0, 1), ATEN.bmm: (0, 1), ATEN.addmm: (1, 2), ATEN.baddbmm: (1, 2)}
    # Products that would escape the count if a model used them.
    UNCOUNTED = {"addbmm", "mv", "addmv", "dot", "vdot", "matmul", "einsum", "linear",
                 "tensordot", "addr", "outer"}

    def __init__(self, weight_storages):
        super().__init__()
        self.weight_storages = weight_storages
        self.conv = 0
        self.fc = 0
        self.matmul = 0

    def _is_weight(self, tensor):
        return tensor.storage().data_ptr() in self.weight_storages

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        packet = func.overloadpacket
        if packet in self.PRODUCTS:
            first, second = (args[i] for i in self.PRODUCTS[packet])
            macs = out.numel() * first.shape[-1]
            if self._is_weight(first) or self._is_weight(second):
                self.fc += macs
            else:
                self.matmul += macs
        elif packet is self.ATEN.convolution:
            check(not args[6], "transposed convolutions are not counted")
            weight = args[1]
            self.conv += out.numel() * weight.shape[1] * math.prod(weight.shape[2:])
        else:
            op = str(packet).split(".")[-1]
            check(op not in self.UNCOUNTED and "conv" not in op, f"uncounted product {packet}")
        return out


def torch_reference(model, spec, batch):
    """Counts computed in torch, independently of the ONNX file and of our tool."""
    hooked = collections.Counter()
    rois = []

    def on_conv(module, _inputs, output):
        kh, kw = module.kernel_size
        hooked["conv"] += output.numel() * (module.in_channels // module.groups) * kh * kw

    def on_linear(module, _inputs, output):
        hooked["fc"] += output.numel() * module.in_features

    def on_box_head(_module, inputs, _output):
        rois.append(inputs[0].shape[0])

    hooks = []
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            hooks.append(module.register_forward_hook(on_conv))
        elif isinstance(module, torch.nn.Linear):
            hooks.append(module.register_forward_hook(on_linear))
    roi_heads = getattr(model, "roi_heads", None)
    if roi_heads is not None:
        hooks.append(roi_heads.box_head.register_forward_hook(on_box_head))
    weights = list(model.parameters()) + list(model.buffers())
    counter = _ProductCounter({t.storage().data_ptr() for t in weights})
    with torch.no_grad(), _InertFunctionMode(), counter:
        output = model(*example_input(spec, batch))
    for hook in hooks:
        hook.remove()
    check(hooked["conv"] == counter.conv,
          f"conv hooks count {hooked['conv']} multiply-adds, the dispatcher {counter.conv}")
    result = {
        "conv_macs": hooked["conv"],
        "fc_macs": counter.fc,
        "fc_macs_module_hooks": hooked["fc"],
        "matmul_macs_torch": counter.matmul,
    }
    if spec.task == "detection":
        result["output_names"] = list(output[0].keys())
        if rois:
            result["rois"] = sum(rois)
    else:
        out = output["out"] if spec.task == "segmentation" else output
        result["output_shape"] = list(out.shape)
    return result


def fc_macs_per_roi(model):
    """Multiply-adds of a two-stage detector's box head and predictor for one proposal,
    measured on zero RoI features (the number of proposals in a forward pass depends on the
    image, and on an empty image none survive)."""
    roi_heads = model.roi_heads
    features = [roi_heads.box_roi_pool.output_size[0], roi_heads.box_roi_pool.output_size[1]]
    weights = list(model.parameters()) + list(model.buffers())
    per_batch = []
    for rois in (1, BATCH_CHECK):
        counter = _ProductCounter({t.storage().data_ptr() for t in weights})
        with torch.no_grad(), _InertFunctionMode(), counter:
            roi_heads.box_predictor(roi_heads.box_head(
                torch.zeros(rois, model.backbone.out_channels, *features)))
        check(counter.conv == 0 and counter.matmul == 0, "box head is not only linear layers")
        per_batch.append(counter.fc)
    check(per_batch[1] == BATCH_CHECK * per_batch[0],
          f"box head: {per_batch[1]} multiply-adds for {BATCH_CHECK} RoIs, {per_batch[0]} for one")
    return per_batch[0]


# --- export and folding -------------------------------------------------------------------

def export(model, spec, batch, output_names):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # PRESERVE with constant folding warns that folding may alter trainable
        # parameters; in eval mode it only folds shape arithmetic and weight transposes.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            example_input(spec, batch),
            buffer,
            opset_version=OPSET,
            input_names=["input"],
            output_names=output_names,
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=True,
        )
    return onnx.load_from_string(buffer.getvalue())


def subgraphs(node):
    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == onnx.AttributeProto.GRAPHS:
            yield from attr.graphs


def all_graphs(graph):
    yield graph
    for node in graph.node:
        for sub in subgraphs(node):
            yield from all_graphs(sub)


def outer_inputs(graph):
    """Names a subgraph reads from enclosing scopes."""
    local = {t.name for t in graph.initializer} | {i.name for i in graph.input}
    used = set()
    for node in graph.node:
        used.update(i for i in node.input if i)
        for sub in subgraphs(node):
            used |= outer_inputs(sub)
        local.update(node.output)
    used.update(o.name for o in graph.output)
    return used - local


def without_float_data(model):
    """A copy without float weights: shape inference serialises the whole model."""
    light = onnx.ModelProto()
    light.CopyFrom(model)
    strip_float_data(light)
    return light


def _einsum_letters(node):
    inputs, output = attribute(node, "equation", b"").decode().replace(" ", "").split("->")
    check("." not in inputs, f"{node.name}: einsum with ellipsis {inputs}")
    return inputs.split(","), output


def _einsum_output_shape(node, input_shapes):
    terms, output = _einsum_letters(node)
    sizes = {}
    for term, shape in zip(terms, input_shapes):
        check(len(term) == len(shape), f"{node.name}: einsum {term} on shape {shape}")
        for letter, size in zip(term, shape):
            sizes[letter] = max(sizes.get(letter, 1), size)
    return [sizes[letter] for letter in output]


def static_shapes(model):
    """Fixed shapes of the graph's tensors, from onnx's shape inference. onnx 1.12 infers only
    the rank of an Einsum's output (MaxViT's attention), so those are computed here from the
    equation and fed back until nothing changes."""
    light = without_float_data(model)
    while True:
        inferred = shape_inference.infer_shapes(light)
        shapes = {}
        for value in list(inferred.graph.value_info) + list(inferred.graph.input) + \
                list(inferred.graph.output):
            dims = value.type.tensor_type.shape.dim
            if value.type.tensor_type.HasField("shape") and \
                    all(d.HasField("dim_value") for d in dims):
                shapes[value.name] = [d.dim_value for d in dims]
        for tensor in model.graph.initializer:
            shapes[tensor.name] = list(tensor.dims)
        added = False
        for node in model.graph.node:
            if node.op_type == "Einsum" and node.output[0] not in shapes and \
                    all(i in shapes for i in node.input):
                dims = _einsum_output_shape(node, [shapes[i] for i in node.input])
                light.graph.value_info.append(helper.make_tensor_value_info(
                    node.output[0], onnx.TensorProto.FLOAT, dims))
                added = True
        if not added:
            return shapes


def attribute(node, name, default):
    for attr in node.attribute:
        if attr.name == name:
            return helper.get_attribute_value(attr)
    return default


def constant_value(node):
    attr = node.attribute[0]
    value = helper.get_attribute_value(attr)
    if attr.name == "value":
        return numpy_helper.to_array(value)
    if attr.name in ("value_int", "value_ints"):
        return np.array(value, dtype=np.int64)
    if attr.name in ("value_float", "value_floats"):
        return np.array(value, dtype=np.float32)
    return None


def _slice(data, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[int(axis)] = slice(int(start), int(end), int(step))
    return data[tuple(index)]


def _reshape(data, shape, allowzero):
    target = [int(d) for d in shape]
    if not allowzero:
        target = [data.shape[i] if d == 0 else d for i, d in enumerate(target)]
    return data.reshape(target)


def _range(start, limit, delta):
    count = max(int(math.ceil((limit - start) / delta)), 0)
    return (start + delta * np.arange(count)).astype(np.asarray(start).dtype)


def _scatter_nd(data, indices, updates):
    out = data.copy()
    depth = indices.shape[-1]
    out[tuple(indices[..., i] for i in range(depth))] = updates
    return out


def _reduce(function, node, args):
    axes = attribute(node, "axes", None)
    if axes is None and len(args) > 1:
        axes = args[1]
    axes = None if axes is None else tuple(int(a) for a in axes)
    return function(args[0], axis=axes, keepdims=bool(attribute(node, "keepdims", 1)))


def _divide(a, b):
    if a.dtype.kind in "iu":  # integer Div truncates towards zero
        return np.trunc(a / b).astype(a.dtype)
    return (a / b).astype(a.dtype)


_ELEMENTWISE = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Pow": np.power,
    "Equal": np.equal, "Less": np.less, "Greater": np.greater,
    "LessOrEqual": np.less_equal, "GreaterOrEqual": np.greater_equal,
    "And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor,
}
_UNARY = {
    "Not": np.logical_not, "Neg": np.negative, "Abs": np.abs, "Floor": np.floor,
    "Ceil": np.ceil, "Sqrt": np.sqrt, "Reciprocal": np.reciprocal, "Identity": lambda x: x,
}


def evaluate_constant_node(node, args):
    """numpy outputs of a node whose inputs are all constants, or None when not folded here."""
    op = node.op_type
    if op in _ELEMENTWISE:
        return [_ELEMENTWISE[op](args[0], args[1])]
    if op in _UNARY:
        return [_UNARY[op](args[0])]
    if op == "Div":
        return [_divide(args[0], args[1])]
    if op == "Mod":
        return [(np.fmod if attribute(node, "fmod", 0) else np.mod)(args[0], args[1])]
    if op in ("Min", "Max"):
        result = args[0]
        for arg in args[1:]:
            result = (np.minimum if op == "Min" else np.maximum)(result, arg)
        return [result]
    if op == "Where":
        return [np.where(args[0], args[1], args[2])]
    if op == "Gather":
        return [np.take(args[0], args[1], axis=attribute(node, "axis", 0))]
    if op == "Unsqueeze":
        return [np.expand_dims(args[0], tuple(int(a) for a in args[1]))]
    if op == "Squeeze":
        return [np.squeeze(args[0], tuple(int(a) for a in args[1]) if len(args) > 1 else None)]
    if op == "Concat":
        return [np.concatenate(args, axis=attribute(node, "axis", 0))]
    if op == "Cast":
        return [args[0].astype(mapping.TENSOR_TYPE_TO_NP_TYPE[attribute(node, "to", 0)])]
    if op == "Slice":
        return [_slice(*args)]
    if op == "Reshape":
        return [_reshape(args[0], args[1], attribute(node, "allowzero", 0))]
    if op == "Transpose":
        return [np.transpose(args[0], attribute(node, "perm", None))]
    if op == "Expand":
        shape = np.broadcast_shapes(args[0].shape, tuple(int(d) for d in args[1]))
        return [np.array(np.broadcast_to(args[0], shape))]
    if op == "Tile":
        return [np.tile(args[0], tuple(int(r) for r in args[1]))]
    if op == "ConstantOfShape":
        fill = attribute(node, "value", None)
        fill = np.zeros(1, np.float32) if fill is None else numpy_helper.to_array(fill)
        return [np.full(tuple(int(d) for d in args[0]), fill.reshape(-1)[0], dtype=fill.dtype)]
    if op == "Range":
        return [_range(args[0], args[1], args[2])]
    if op == "ScatterND" and attribute(node, "reduction", b"none") in ("none", b"none"):
        return [_scatter_nd(*args)]
    if op == "Size":
        return [np.array(args[0].size, dtype=np.int64)]
    if op == "ReduceProd":
        return [_reduce(np.prod, node, args)]
    if op == "ReduceMin":
        return [_reduce(np.min, node, args)]
    if op == "ReduceMax":
        return [_reduce(np.max, node, args)]
    return None


def fold_constants_once(model, shapes, unfolded):
    """One pass: replaces constant-input nodes (and Shape of fixed shapes) by Constants,
    except those making the tensors in unfolded."""
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer
              if t.data_type == onnx.TensorProto.INT64}
    folded = 0
    nodes = []
    for node in model.graph.node:
        outputs = None
        if node.op_type == "Constant":
            value = constant_value(node)
            if value is not None:
                values[node.output[0]] = value
        elif node.op_type == "Shape" and node.input[0] in shapes:
            dims = shapes[node.input[0]]
            start, end = attribute(node, "start", 0), attribute(node, "end", len(dims))
            outputs = [np.array(dims[start:end], dtype=np.int64)]
        elif node.input and all(not i or i in values for i in node.input) and \
                not any(True for _ in subgraphs(node)):
            outputs = evaluate_constant_node(node, [values[i] if i else None
                                                    for i in node.input])
        if outputs is None or any(o in unfolded for o in node.output):
            nodes.append(node)
            continue
        folded += 1
        for index, (name, value) in enumerate(zip(node.output, outputs)):
            value = np.asarray(value)
            values[name] = value
            nodes.append(helper.make_node(
                "Constant", [], [name], name=node.name if index == 0 else f"{node.name}_{index}",
                value=numpy_helper.from_array(value, name)))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return folded


def remove_dead_nodes(model):
    """Drops nodes whose outputs nobody reads (the folded chains) and unread initializers."""
    live = {o.name for o in model.graph.output}
    kept = []
    for node in reversed(list(model.graph.node)):
        if any(o in live for o in node.output):
            kept.append(node)
            live.update(node.input)
            for sub in subgraphs(node):
                live |= outer_inputs(sub)
    del model.graph.node[:]
    model.graph.node.extend(reversed(kept))
    for tensor in [t for t in model.graph.initializer if t.name not in live]:
        model.graph.initializer.remove(tensor)


def fold_constants(model):
    """Folds until nothing changes (each folded Reshape target can fix further shapes), then
    again from the exported graph without the large integer constants that remained."""
    exported = onnx.ModelProto()
    exported.CopyFrom(model)
    unfolded = set()
    while True:
        while fold_constants_once(model, static_shapes(model), unfolded):
            remove_dead_nodes(model)
        remove_dead_nodes(model)
        large = {n.output[0] for n in model.graph.node if n.op_type == "Constant" and
                 n.attribute[0].name == "value" and
                 n.attribute[0].t.data_type != onnx.TensorProto.FLOAT and
                 math.prod(n.attribute[0].t.dims) > MAX_KEPT_INTEGER_CONSTANT} - unfolded
        if not large:
            return
        unfolded |= large
        model.CopyFrom(exported)


def large_float_constants_to_initializers(model):
    """Returns the number of elements that became initializers without being parameters."""
    elements = 0
    for node in list(model.graph.node):
        if node.op_type != "Constant" or node.attribute[0].name != "value":
            continue
        tensor = node.attribute[0].t
        if tensor.data_type != onnx.TensorProto.FLOAT:
            continue
        size = int(np.prod(tensor.dims, dtype=np.int64))
        if size <= MAX_KEPT_FLOAT_CONSTANT:
            continue
        initializer = onnx.TensorProto()
        initializer.CopyFrom(tensor)
        initializer.name = node.output[0]
        model.graph.initializer.append(initializer)
        model.graph.node.remove(node)
        elements += size
    return elements


def shorten_tensor_names(model):
    """Renames weights to p<i> and activations to t<i>; node names keep the module paths.

    torch names every activation after the node that makes it and every weight after its
    module, so each path appeared three or four times; this roughly halves the files.
    Subgraphs (the detectors' If branches) are renamed with the graph they read from.
    """
    keep = {v.name for v in list(model.graph.input) + list(model.graph.output)}
    names = {}
    for index, tensor in enumerate(model.graph.initializer):
        names[tensor.name] = f"p{index}"
    activations = [0]

    def name_outputs(graph):
        for node in graph.node:
            for output in node.output:
                if output and output not in keep and output not in names:
                    names[output] = f"t{activations[0]}"
                    activations[0] += 1
            for sub in subgraphs(node):
                for tensor in sub.initializer:
                    if tensor.name not in names:
                        names[tensor.name] = f"t{activations[0]}"
                        activations[0] += 1
                name_outputs(sub)

    def rename(graph):
        for tensor in graph.initializer:
            tensor.name = names.get(tensor.name, tensor.name)
        values = list(graph.output) + list(graph.value_info)
        if graph is not model.graph:
            values += list(graph.input)
        for value in values:
            value.name = names.get(value.name, value.name)
        for node in graph.node:
            for tensor_list in (node.input, node.output):
                for i, name in enumerate(tensor_list):
                    tensor_list[i] = names.get(name, name)
            for attr in node.attribute:
                if attr.HasField("t"):
                    attr.t.name = names.get(attr.t.name, attr.t.name)
            for sub in subgraphs(node):
                rename(sub)

    name_outputs(model.graph)
    rename(model.graph)


def float_initializer_elements(model):
    return sum(int(np.prod(t.dims, dtype=np.int64))
               for graph in all_graphs(model.graph) for t in graph.initializer
               if t.data_type == onnx.TensorProto.FLOAT)


def strip_float_data(model):
    for graph in all_graphs(model.graph):
        for tensor in graph.initializer:
            if tensor.data_type == onnx.TensorProto.FLOAT:
                tensor.ClearField("raw_data")
                tensor.ClearField("float_data")


def count_ops(model, op_type):
    return sum(1 for node in model.graph.node if node.op_type == op_type)


def op_counts(graph):
    return dict(sorted(collections.Counter(n.op_type for n in graph.node).items()))


def subgraph_op_counts(model):
    counts = collections.Counter()
    for node in model.graph.node:
        for sub in subgraphs(node):
            for graph in all_graphs(sub):
                counts.update(n.op_type for n in graph.node)
    return dict(sorted(counts.items()))


# --- counting in the ONNX graph -----------------------------------------------------------

def _matmul_macs(a, b):
    a = [1] + a if len(a) == 1 else a
    b = b + [1] if len(b) == 1 else b
    batch = np.broadcast_shapes(tuple(a[:-2]), tuple(b[:-2]))
    return math.prod(batch) * a[-2] * b[-1] * a[-1]


def _gemm_macs(node, a, b):
    m, k = (a[1], a[0]) if attribute(node, "transA", 0) else (a[0], a[1])
    n = b[0] if attribute(node, "transB", 0) else b[1]
    return m * n * k


def _einsum_macs(node, shapes):
    terms, _ = _einsum_letters(node)
    check(len(terms) == 2, f"{node.name}: einsum of {len(terms)} operands not counted")
    sizes = {}
    for term, shape in zip(terms, shapes):
        check(len(term) == len(shape), f"{node.name}: einsum {term} on shape {shape}")
        for letter, size in zip(term, shape):
            sizes[letter] = max(sizes.get(letter, 1), size)
    return math.prod(sizes.values())


def graph_products(model):
    """Multiply-adds of Conv, weight products (fc) and activation products (matmul) in the
    graph, from onnx's shape inference; nodes whose shapes depend on the data are listed."""
    shapes = static_shapes(model)
    constants = {t.name for t in model.graph.initializer} | \
        {n.output[0] for n in model.graph.node if n.op_type == "Constant"}
    counts = {"conv": 0, "fc": 0, "matmul": 0, "matmul_nodes": 0, "fc_per_dynamic_row": 0}
    dynamic = collections.Counter()
    for node in model.graph.node:
        if node.op_type not in ("Conv", "MatMul", "Gemm", "Einsum"):
            continue
        operands = list(node.input[:2])
        needed = operands + ([node.output[0]] if node.op_type == "Conv" else [])
        if not all(name in shapes for name in needed):
            dynamic[node.op_type] += 1
            if node.op_type == "Gemm" and operands[1] in constants and operands[1] in shapes:
                # A weight product on a data-dependent number of rows (the detectors' box
                # head): K x N per row.
                counts["fc_per_dynamic_row"] += math.prod(shapes[operands[1]])
            continue
        a, b = (shapes[name] for name in operands)
        if node.op_type == "Conv":
            counts["conv"] += math.prod(shapes[node.output[0]]) * b[1] * math.prod(b[2:])
            continue
        if node.op_type == "MatMul":
            macs = _matmul_macs(a, b)
        elif node.op_type == "Gemm":
            macs = _gemm_macs(node, a, b)
        else:
            macs = _einsum_macs(node, [a, b])
        if any(name in constants for name in operands):
            counts["fc"] += macs
        else:
            counts["matmul"] += macs
            counts["matmul_nodes"] += 1
    return counts, dict(sorted(dynamic.items()))


def detection_stages(model):
    """Op types before the first Conv (nodes that feed a Conv and depend on none: the
    transform), after the heads (nodes that depend on a Conv's output and feed no Conv), and
    those whose output shape depends on the image."""
    nodes = [n for n in model.graph.node if n.op_type != "Constant"]
    producer = {o: index for index, n in enumerate(nodes) for o in n.output}
    after_conv = set()
    for index, node in enumerate(nodes):
        if node.op_type == "Conv" or any(producer.get(i) in after_conv for i in node.input):
            after_conv.add(index)
    feeds_conv = set()
    for index in reversed(range(len(nodes))):
        if nodes[index].op_type == "Conv" or index in feeds_conv:
            feeds_conv.update(producer[i] for i in nodes[index].input if i in producer)
    pre = collections.Counter(n.op_type for index, n in enumerate(nodes)
                              if index in feeds_conv and index not in after_conv)
    post = collections.Counter(n.op_type for index, n in enumerate(nodes)
                               if index in after_conv and index not in feeds_conv and
                               n.op_type != "Conv")
    shapes = static_shapes(model)
    dynamic = collections.Counter(n.op_type for n in nodes
                                  if any(o and o not in shapes for o in n.output))
    return [dict(sorted(c.items())) for c in (pre, post, dynamic)]


def onnx_output_shapes(model):
    inferred = shape_inference.infer_shapes(model, strict_mode=True)
    outputs = {}
    for value in inferred.graph.output:
        dims = value.type.tensor_type.shape.dim
        outputs[value.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    return outputs


# --- one model ----------------------------------------------------------------------------

def write_if_changed(path, data):
    if os.path.exists(path):
        with open(path, "rb") as existing:
            if existing.read() == data:
                return False
    with open(path, "wb") as out:
        out.write(data)
    return True


def prepare_graph(model, spec, batch, output_names):
    graph = export(model, spec, batch, output_names)
    fold_constants(graph)
    constant_elements = large_float_constants_to_initializers(graph)
    shorten_tensor_names(graph)
    onnx.checker.check_model(graph)
    return graph, constant_elements


def parameter_reference(name, spec, model):
    bns = batchnorm_modules(model)
    reference = {
        "params_torch": count_params(model),
        "bn_modules": len(bns),
        "bn_stats": sum(m.running_mean.numel() + m.running_var.numel() for m in bns),
        "published_params": published_params(name, spec, model),
    }
    if name in PUBLISHED_BN_FREE_PARAMS:
        check(reference["bn_modules"] == 0, f"{name} is expected to have no batch norm")
        check(reference["params_torch"] == PUBLISHED_BN_FREE_PARAMS[name],
              f"{name}: {reference['params_torch']} parameters, "
              f"expected {PUBLISHED_BN_FREE_PARAMS[name]}")
    return reference


def torch_macs_reference(name, spec, model, reference):
    """Adds torch's counts; checks that batch 8 scales each of them by exactly 8."""
    counted = torch_reference(model, spec, 1)
    counted8 = torch_reference(model, spec, BATCH_CHECK)
    reference["conv_macs"] = counted["conv_macs"]
    check(counted8["conv_macs"] == BATCH_CHECK * counted["conv_macs"],
          f"{name}: batch {BATCH_CHECK} conv {counted8['conv_macs']}, "
          f"batch 1 {counted['conv_macs']}")
    if "rois" in counted:
        # A two-stage detector's linear layers run on region proposals, whose number depends
        # on the image (NMS), so only the multiply-adds per proposal and the model's limit
        # of proposals per image are recorded.
        per_roi = fc_macs_per_roi(model)
        check(per_roi * counted["rois"] == counted["fc_macs"] and
              per_roi * counted8["rois"] == counted8["fc_macs"],
              f"{name}: fc multiply-adds are not {per_roi} per proposal")
        reference["fc_macs_per_roi"] = per_roi
        reference["rois_per_image_max"] = model.rpn.post_nms_top_n()
        return counted, counted8
    for key in ("fc_macs", "fc_macs_module_hooks", "matmul_macs_torch"):
        check(counted8[key] == BATCH_CHECK * counted[key],
              f"{name}: batch {BATCH_CHECK} {key} {counted8[key]}, batch 1 {counted[key]}")
    reference["fc_macs"] = counted["fc_macs"]
    reference["fc_macs_module_hooks"] = counted["fc_macs_module_hooks"]
    return counted, counted8


def check_graph_contents(name, spec, model, graph, constant_elements, reference):
    bn_nodes = count_ops(graph, "BatchNormalization")
    check(bn_nodes == reference["bn_modules"],
          f"{name}: {bn_nodes} BatchNormalization nodes for {reference['bn_modules']} modules")
    shapes = static_shapes(graph)
    static_shape_nodes = [n.name for n in graph.graph.node
                          if n.op_type == "Shape" and n.input[0] in shapes]
    check(not static_shape_nodes,
          f"{name}: Shape of fixed shapes left: {static_shape_nodes[:3]}")
    if spec.task != "detection":
        check(count_ops(graph, "Shape") == 0, f"{name}: Shape nodes left after folding")
    initializer_names = [t.name for t in graph.graph.initializer]
    check(len(initializer_names) == len(set(initializer_names)),
          f"{name}: duplicate initializer names")
    elements = float_initializer_elements(graph)
    gathered = gathered_position_bias_elements(model)
    # Every parameter and BN statistic must reach the file once (none merged, none lost).
    check(elements == reference["params_torch"] + reference["bn_stats"] + constant_elements +
          gathered,
          f"{name}: {elements} float initializer elements, expected "
          f"{reference['params_torch']} parameters + {reference['bn_stats']} BN statistics + "
          f"{constant_elements} folded constants + {gathered} gathered position biases")
    reference["float_initializer_elements"] = elements
    reference["float_constant_elements"] = constant_elements
    reference["gathered_position_bias_elements"] = gathered


def graph_macs_reference(name, spec, graph, reference, counted):
    """Checks the graph's products against torch's; adds the attention products."""
    products, dynamic_products = graph_products(graph)
    check(products["conv"] == reference["conv_macs"],
          f"{name}: graph Conv {products['conv']} multiply-adds, torch {reference['conv_macs']}")
    if "fc_macs" in reference:
        check(products["fc"] == reference["fc_macs"],
              f"{name}: graph weight products {products['fc']}, torch fc {reference['fc_macs']}")
    if "fc_macs_per_roi" in reference:
        check(products["fc_per_dynamic_row"] == reference["fc_macs_per_roi"],
              f"{name}: graph box head {products['fc_per_dynamic_row']} multiply-adds per row, "
              f"torch {reference['fc_macs_per_roi']} per proposal")
    if spec.task == "detection":
        if dynamic_products:
            reference["products_with_dynamic_shapes"] = dynamic_products
    else:
        check(not dynamic_products, f"{name}: products with unknown shapes {dynamic_products}")
        check(products["matmul"] == counted["matmul_macs_torch"],
              f"{name}: graph matmul {products['matmul']}, torch {counted['matmul_macs_torch']}")
    reference["matmul_macs"] = products["matmul"]
    reference["matmul_nodes"] = products["matmul_nodes"]
    return products


def graph_outputs_reference(name, spec, graph, reference):
    outputs = onnx_output_shapes(graph)
    if spec.task == "detection":
        reference["outputs"] = outputs
        reference["preprocess_ops"], reference["postprocess_ops"], \
            reference["data_dependent_ops"] = detection_stages(graph)
        subgraph_ops = subgraph_op_counts(graph)
        if subgraph_ops:
            reference["onnx_ops_in_subgraphs"] = subgraph_ops
    else:
        # ONNX's own shape inference on the final file must reach torch's output shape.
        check(outputs["output"] == reference["output_shape"],
              f"{name}: ONNX infers output {outputs['output']}, "
              f"torch gives {reference['output_shape']}")
    reference["task"] = spec.task
    reference["input_shape"] = input_shape(spec)
    reference["onnx_ops"] = op_counts(graph.graph)


def batch8_reference(name, spec, model, output_names, products, counted8):
    """Exports again at batch 8 and checks that the graph's products scale by 8."""
    graph8, _ = prepare_graph(model, spec, BATCH_CHECK, output_names)
    products8, _ = graph_products(graph8)
    for key in ("conv", "fc", "matmul"):
        check(products8[key] == BATCH_CHECK * products[key],
              f"{name}: batch {BATCH_CHECK} graph {key} {products8[key]}, "
              f"batch 1 {products[key]}")
    check(products8["conv"] == counted8["conv_macs"] and products8["fc"] == counted8["fc_macs"],
          f"{name}: batch {BATCH_CHECK} graph and torch disagree")
    return {
        "input_shape": input_shape(spec, BATCH_CHECK),
        "conv_macs": products8["conv"],
        "fc_macs": products8["fc"],
        "matmul_macs": products8["matmul"],
    }


def write_model_file(name, graph):
    graph.producer_name = "neuralpower tools/export_torchvision_zoo.py (torch.onnx)"
    graph.doc_string = f"torchvision {torchvision.__version__} {name}, weights stripped"
    data = graph.SerializeToString()
    os.makedirs(ZOO_DIR, exist_ok=True)
    changed = write_if_changed(os.path.join(ZOO_DIR, name + ".onnx"), data)
    return len(data), changed


def export_one(name, spec):
    model = build_model(name, spec)
    reference = parameter_reference(name, spec, model)
    counted, counted8 = torch_macs_reference(name, spec, model, reference)
    if spec.task == "detection":
        output_names = counted["output_names"]
    else:
        output_names = ["output"]
        reference["output_shape"] = counted["output_shape"]

    graph, constant_elements = prepare_graph(model, spec, 1, output_names)
    check_graph_contents(name, spec, model, graph, constant_elements, reference)
    products = graph_macs_reference(name, spec, graph, reference, counted)
    strip_float_data(graph)
    graph_outputs_reference(name, spec, graph, reference)
    if name in PUBLISHED_GFLOPS:
        reference["published_gflops"] = PUBLISHED_GFLOPS[name]
    if spec.published_params == "with_aux":
        # What the published figures were measured on: the segmenters' auxiliary heads run in
        # inference too (Inception's do not).
        with_aux = torch_reference(build_model(name, spec, **spec.aux), spec, 1)
        reference["macs_with_aux"] = sum(with_aux[key] for key in
                                         ("conv_macs", "fc_macs", "matmul_macs_torch"))
    if name in BATCH8_EXPORTS:
        reference["batch8"] = batch8_reference(name, spec, model, output_names, products,
                                               counted8)

    size, changed = write_model_file(name, graph)
    total = reference["conv_macs"] + reference.get("fc_macs", 0) + products["matmul"]
    print(f"{name:34s} {size:7d} bytes  params {reference['params_torch']:>11,}  "
          f"conv+fc+matmul {total / 1e9:8.3f} GMAC{'  (written)' if changed else ''}",
          flush=True)
    return reference


def main(argv):
    unknown = [name for name in argv if name not in MODELS]
    if unknown:
        print(f"usage: export_torchvision_zoo.py [NAME ...]; unknown: {' '.join(unknown)}",
              file=sys.stderr)
        return 2
    models = {}
    if argv and os.path.exists(REFERENCE_PATH):
        with open(REFERENCE_PATH) as existing:
            models = json.load(existing).get("models", {})
    for name in argv or MODELS:
        models[name] = export_one(name, MODELS[name])
    reference = {
        "generator": "tools/export_torchvision_zoo.py",
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "onnx_opset": OPSET,
        "models": models,
    }
    text = json.dumps(reference, indent=2, sort_keys=True) + "\n"
    write_if_changed(REFERENCE_PATH, text.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
