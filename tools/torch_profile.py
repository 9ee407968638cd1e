#!/usr/bin/python3
"""Measures the configurations of a NeuralPower plan in PyTorch and writes the dataset CSV.

    neuralpower profile layers --backend cuda --plan-out plan.csv [plan options]
    python3 tools/torch_profile.py profile --plan plan.csv --out torch.csv --device cuda --power
    neuralpower train torch.csv -o torch-model.json
    python3 tools/torch_profile.py compare cuda.csv torch.csv --markdown

The plan comes from the C++ tool (`--plan-out`, or this program runs it: `--neuralpower BIN
--plan-args "..."`): every row carries the canonical config text and the features as the C++
tool computes them, so the features have one definition. This program parses the config text,
builds the layer in eager PyTorch (cuDNN on CUDA) in the plan's data type and math mode, and
measures it the way src/profile/measurement.cpp does: warm-up, iterations per trial so that a
trial lasts --min-trial-ms, --trials timed trials (CUDA events on the GPU, a steady clock and
synchronisation on the CPU), median and spread = IQR / median x 100, the trials taken once more
when the spread exceeds 10 %; with --power on CUDA an NVML total-energy window aligned to
counter updates (P = dE / dt), idle power, clocks and temperature. Rows are appended one write
at a time (resumable, crash-repaired, one platform per file); backend `torch`.

A layer torch cannot express exactly is written as a failed row with the reason, never
skipped. docs/profiling.md, "Profiling with PyTorch", has the details.

Runs with torch 1.13 (Debian) to 2.x; pynvml only for --power. Exit codes: 0 done, 1 an
error (one line on stderr), 2 a usage error, 130 interrupted (the same command resumes).
"""

import argparse
import csv
import datetime
import fcntl
import json
import math
import os
import platform as platform_module
import shlex
import signal
import subprocess
import sys
import threading
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL_NAME = "torch_profile"
INTERRUPTED_EXIT = 130
# --budget-seconds counts from here: a caller's time cap covers torch's import (seconds on a
# cold machine) and the idle power window too.
PROCESS_START = time.monotonic()

# The dataset columns this program writes besides the plan's own (kind, config, source and
# features, copied verbatim); the header itself is the plan's, i.e. the C++ tool's.
MEASUREMENT_COLUMNS = [
    "status", "failure_reason", "runtime_ms", "runtime_spread_pct", "trials", "power_w",
    "power_spread_pct", "energy_mj", "window_s", "idle_power_w", "sm_clock_mhz",
    "mem_clock_mhz", "temperature_c", "power_limit_w", "throttle_reasons", "algorithm",
    "device", "backend", "dtype", "math_mode", "driver", "runtime_version", "library_version",
    "tool_version", "clocks_locked", "date",
]
PLAN_COLUMNS = ["kind", "config", "source_network", "source_layer"]


class ToolError(Exception):
    """An error in the input or the run: one line on stderr, exit code 1."""


class Unsupported(Exception):
    """A configuration torch cannot express exactly: a failed row 'unsupported: ...'."""


class Interrupted(Exception):
    """SIGINT or SIGTERM: the configuration under way is abandoned, no partial row."""


# ----------------------------------------------------------------------------------------------
# Statistics: the definitions of src/profile/measurement.cpp.


def quantile(sorted_values, q):
    """Linear interpolation between order statistics (R's type 7, numpy's default)."""
    position = q * (len(sorted_values) - 1)
    below = int(math.floor(position))
    above = min(below + 1, len(sorted_values) - 1)
    fraction = position - below
    return sorted_values[below] + fraction * (sorted_values[above] - sorted_values[below])


def median(values):
    if not values:
        raise ToolError("median of no values")
    return quantile(sorted(values), 0.5)


def spread_pct(values):
    """Interquartile range / median x 100; 0 for fewer than 2 values."""
    if len(values) < 2:
        return 0.0
    s = sorted(values)
    mid = quantile(s, 0.5)
    if mid <= 0:
        return 0.0
    return 100.0 * (quantile(s, 0.75) - quantile(s, 0.25)) / mid


# ----------------------------------------------------------------------------------------------
# The canonical config text (src/profile/config_text.cpp):
#   conv in=8x3x224x224 out=64 k=11x11 s=4x4 p=2,2,2,2 d=1x1 g=1 bias=1 fp32


def parse_shape(text):
    if text == "scalar":
        return ()
    dims = []
    for part in text.replace(",", "x").split("x"):
        if not part.isdigit() or int(part) <= 0:
            raise ValueError(f"bad shape '{text}'")
        dims.append(int(part))
    return tuple(dims)


def parse_ints(text, separator):
    values = []
    for part in text.split(separator):
        try:
            values.append(int(part))
        except ValueError:
            raise ValueError(f"'{text}' is not a list of integers") from None
    return values


def parse_pair(text):
    values = parse_ints(text, "x")
    if len(values) != 2:
        raise ValueError(f"'{text}' is not HxW")
    return values


def parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"'{text}' is not a finite number")
    return value


def parse_bool(text):
    if text not in ("0", "1"):
        raise ValueError(f"'{text}' is not 0 or 1")
    return text == "1"


# Per kind: attribute name -> parser; a flag (a bare word) maps to None.
ATTRIBUTES = {
    "conv": {"out": int, "k": parse_pair, "s": parse_pair, "p": lambda t: parse_ints(t, ","),
             "d": parse_pair, "g": int, "bias": parse_bool},
    "pool": {"mode": str, "global": None, "k": parse_pair, "s": parse_pair,
             "p": lambda t: parse_ints(t, ","), "ceil": parse_bool, "cip": parse_bool},
    "fc": {"out": int, "bias": parse_bool},
    "bn": {"eps": parse_float},
    "act": {"fn": str, "a": parse_float, "b": parse_float},
    "add": {"const": lambda t: [parse_shape(s) for s in t.split(";")]},
    "concat": {"axis": int},
    "lrn": {"size": int, "alpha": parse_float, "beta": parse_float, "bias": parse_float},
    "softmax": {"axis": int},
    "layernorm": {"axis": int, "eps": parse_float, "affine": parse_bool},
    "transpose": {"perm": lambda t: parse_ints(t, ",")},
    "slice": {"axis": int, "start": int, "end": int, "step": int},
    "matmul": {"ta": parse_bool, "tb": parse_bool, "const": parse_shape},
    "resize": {"mode": str, "size": parse_pair, "scale": lambda t: tuple(
        parse_float(v) for v in t.split("x"))},
}
ATTRIBUTES["mul"] = ATTRIBUTES["add"]
ATTRIBUTES["max"] = ATTRIBUTES["add"]
REQUIRED = {
    "conv": ["out", "k", "s", "p", "d", "g", "bias"],
    "fc": ["out", "bias"],
    "bn": ["eps"],
    "act": ["fn", "a", "b"],
    "concat": ["axis"],
    "lrn": ["size", "alpha", "beta", "bias"],
    "softmax": ["axis"],
    "layernorm": ["axis", "eps", "affine"],
    "transpose": ["perm"],
    "slice": ["axis", "start", "end", "step"],
    "matmul": ["ta", "tb"],
    "resize": ["mode"],
}
DTYPES = ("fp32", "fp16", "bf16", "int8")


class Config:
    def __init__(self, kind, inputs, attrs, dtype):
        self.kind = kind
        self.inputs = inputs  # shapes, batch included
        self.attrs = attrs
        self.dtype = dtype


def parse_config(text):
    """Raises ValueError naming what is wrong."""
    tokens = text.split(" ")
    if len(tokens) < 3:
        raise ValueError(f"config '{text}' has too few parts")
    kind, dtype = tokens[0], tokens[-1]
    if kind not in ATTRIBUTES:
        raise ValueError(f"unknown layer kind '{kind}'")
    if dtype not in DTYPES:
        raise ValueError(f"unknown data type '{dtype}'")
    if not tokens[1].startswith("in="):
        raise ValueError(f"config '{text}' does not start with in=")
    inputs = [parse_shape(s) for s in tokens[1][3:].split(";")]
    known = ATTRIBUTES[kind]
    attrs = {}
    for token in tokens[2:-1]:
        name, has_value, value = token.partition("=")
        if name not in known:
            raise ValueError(f"{kind}: unknown attribute '{name}'")
        if name in attrs:
            raise ValueError(f"{kind}: attribute '{name}' twice")
        parser = known[name]
        if (parser is None) == bool(has_value):
            raise ValueError(f"{kind}: malformed attribute '{token}'")
        attrs[name] = True if parser is None else parser(value)
    required = REQUIRED.get(kind, [])
    if kind == "pool":
        required = ["mode"] + ([] if "global" in attrs else ["k", "s", "p", "ceil", "cip"])
    for name in required:
        if name not in attrs:
            raise ValueError(f"{kind}: missing attribute '{name}'")
    if kind == "resize" and ("size" in attrs) == ("scale" in attrs):
        raise ValueError("resize: needs exactly one of size= and scale=")
    if "scale" in attrs and len(attrs["scale"]) != 2:
        raise ValueError("resize: scale= needs 2 values (height x width)")
    for name in ("p",):
        if name in attrs and len(attrs[name]) != 4:
            raise ValueError(f"{kind}: p= needs 4 values (top, left, bottom, right)")
    return Config(kind, inputs, attrs, dtype)


# ----------------------------------------------------------------------------------------------
# Layers in torch. A Built layer runs the configuration once per call (returning its output)
# and names what ran; every tensor is made here, never in the timed region.


class Built:
    def __init__(self, run, algorithm, tensors):
        self.run = run
        self.algorithm = algorithm
        self.tensors = tensors  # keeps inputs and parameters alive


def torch_dtype(torch, name):
    if name == "int8":
        raise Unsupported("torch eager runs fp32, fp16 and bf16 here, not int8")
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]


def single_input(config):
    if len(config.inputs) != 1:
        raise Unsupported(f"{config.kind} needs one input, has {len(config.inputs)}")
    return config.inputs[0]


def feature(row, name):
    """The C++ tool's feature value of a plan row, or None when the kind has no such feature."""
    cell = row.get("f_" + name, "")
    return float(cell) if cell != "" else None


class TensorFactory:
    """Test data on the device: uniform in [-1, 1) like the C++ backends' test values."""

    def __init__(self, torch, device, dtype, seed):
        self.torch = torch
        self.device = device
        self.dtype = dtype
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(seed)

    def uniform(self, shape, dtype=None):
        t = self.torch.rand(tuple(shape), generator=self.generator, device=self.device,
                            dtype=self.torch.float32)
        return t.mul_(2.0).sub_(1.0).to(dtype or self.dtype)

    def positive(self, shape, dtype=None):  # batch-norm variance: 0.5 + |value|
        return self.uniform(shape, self.torch.float32).abs_().add_(0.5).to(dtype or self.dtype)


def build_conv(torch, F, config, make, suffix):
    x_shape = single_input(config)
    a = config.attrs
    if len(x_shape) != 4:
        raise Unsupported(f"conv needs a rank-4 input, got {len(x_shape)}")
    groups = a["g"]
    kh, kw = a["k"]
    top, left, bottom, right = a["p"]
    weight = make.uniform((a["out"], x_shape[1] // groups, kh, kw))
    bias = make.uniform((a["out"],)) if a["bias"] else None
    x = make.uniform(x_shape)
    # cuDNN and torch pad both sides equally: the common part goes to the convolution, the
    # rest is padded explicitly first, as the C++ CUDA backend does.
    pad_h, pad_w = min(top, bottom), min(left, right)
    extra = (left - pad_w, right - pad_w, top - pad_h, bottom - pad_h)
    stride, dilation = tuple(a["s"]), tuple(a["d"])
    algorithm = "torch conv2d" + suffix
    if any(extra):
        algorithm += " after F.pad left/right/top/bottom " + "/".join(str(e) for e in extra)

        def run():
            return F.conv2d(F.pad(x, extra), weight, bias, stride, (pad_h, pad_w), dilation,
                            groups)
    else:
        def run():
            return F.conv2d(x, weight, bias, stride, (pad_h, pad_w), dilation, groups)
    return Built(run, algorithm, [x, weight, bias])


def build_pool(torch, F, config, make, row):
    x_shape = single_input(config)
    if len(x_shape) != 4:
        raise Unsupported(f"pool needs a rank-4 input, got {len(x_shape)}")
    a = config.attrs
    is_max = a["mode"] == "max"
    if a["mode"] not in ("max", "avg"):
        raise ValueError(f"pool: unknown mode '{a['mode']}'")
    x = make.uniform(x_shape)
    if a.get("global"):
        if is_max:
            return Built(lambda: F.adaptive_max_pool2d(x, 1), "torch adaptive_max_pool2d", [x])
        return Built(lambda: F.adaptive_avg_pool2d(x, 1), "torch adaptive_avg_pool2d", [x])
    kernel, stride = tuple(a["k"]), tuple(a["s"])
    top, left, bottom, right = a["p"]
    ceil, cip = a["ceil"], a["cip"]
    symmetric = top == bottom and left == right
    if symmetric and 2 * top <= kernel[0] and 2 * left <= kernel[1]:
        padding = (top, left)
        if is_max:
            return Built(lambda: F.max_pool2d(x, kernel, stride, padding, 1, ceil),
                         "torch max_pool2d", [x])
        return Built(lambda: F.avg_pool2d(x, kernel, stride, padding, ceil, cip),
                     "torch avg_pool2d", [x])
    # Padding torch's pooling cannot take (asymmetric, or more than half the window): padded
    # explicitly first, to exactly the extent the IR's output windows cover, then pooled
    # without padding in floor mode. Averages then count the padding: right for
    # count_include_pad=1 only.
    if not is_max and not cip:
        raise Unsupported("avg pool with padding " + ",".join(str(p) for p in a["p"]) +
                          " and count_include_pad=0: torch's avg_pool2d pads symmetrically by "
                          "at most half the window, and explicit padding would be counted")
    batch, channels = x_shape[0], x_shape[1]
    out_h = int(feature(row, "out_height"))
    out_w = int(feature(row, "output_elements")) // (batch * channels * out_h)
    end_h = (out_h - 1) * stride[0] + kernel[0] - x_shape[2] - top
    end_w = (out_w - 1) * stride[1] + kernel[1] - x_shape[3] - left
    pads = (left, end_w, top, end_h)
    value = float("-inf") if is_max else 0.0
    text = " after F.pad left/right/top/bottom " + "/".join(str(p) for p in pads)
    if is_max:
        return Built(lambda: F.max_pool2d(F.pad(x, pads, value=value), kernel, stride),
                     "torch max_pool2d" + text, [x])
    return Built(lambda: F.avg_pool2d(F.pad(x, pads, value=value), kernel, stride),
                 "torch avg_pool2d" + text, [x])


def build_activation(torch, F, config, make):
    x = make.uniform(single_input(config))
    fn, alpha, beta = config.attrs["fn"], config.attrs["a"], config.attrs["b"]
    if fn == "relu":
        return Built(lambda: F.relu(x), "torch relu", [x])
    if fn == "leaky_relu":
        return Built(lambda: F.leaky_relu(x, alpha), "torch leaky_relu", [x])
    if fn == "clip":
        return Built(lambda: F.hardtanh(x, alpha, beta), "torch hardtanh (clip)", [x])
    if fn == "sigmoid":
        return Built(lambda: torch.sigmoid(x), "torch sigmoid", [x])
    if fn == "tanh":
        return Built(lambda: torch.tanh(x), "torch tanh", [x])
    if fn == "hard_sigmoid":
        if abs(alpha - 1.0 / 6.0) < 1e-9 and beta == 0.5:
            return Built(lambda: F.hardsigmoid(x), "torch hardsigmoid", [x])
        # torch's hardsigmoid is x/6 + 1/2 only; ONNX's default 0.2x + 0.5 takes three ops.
        return Built(lambda: torch.clamp(x * alpha + beta, 0.0, 1.0),
                     "torch mul, add, clamp (hard_sigmoid alpha != 1/6: 3 kernels)", [x])
    if fn == "hard_swish":
        return Built(lambda: F.hardswish(x), "torch hardswish", [x])
    if fn == "gelu":
        return Built(lambda: F.gelu(x), "torch gelu (erf)", [x])
    if fn == "silu":
        return Built(lambda: F.silu(x), "torch silu", [x])
    raise Unsupported(f"activation '{fn}' has no torch counterpart here")


def build_elementwise(torch, F, config, make):
    operands = [make.uniform(s) for s in config.inputs]
    operands += [make.uniform(s) for s in config.attrs.get("const", [])]
    if len(operands) < 2:
        raise Unsupported(f"{config.kind} needs two operands, has {len(operands)}")
    op = {"add": torch.add, "mul": torch.mul, "max": torch.maximum}[config.kind]
    name = {"add": "add", "mul": "mul", "max": "maximum"}[config.kind]
    kernels = len(operands) - 1
    algorithm = f"torch {name}" + (f" x{kernels} ({len(operands)} operands)" if kernels > 1 else "")
    first, rest = operands[0], operands[1:]

    def run():
        y = op(first, rest[0])
        for t in rest[1:]:
            y = op(y, t)
        return y
    return Built(run, algorithm, operands)


def normalized_axis(axis, rank, what):
    if axis < -rank or axis >= rank:
        raise ValueError(f"{what}: axis {axis} out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def build_matmul(torch, config, make):
    """A batched product; a transposed operand is a transposed view, as the IR's ta/tb say."""
    a = config.attrs
    if ("const" in a) != (len(config.inputs) == 1) or len(config.inputs) > 2:
        raise ValueError("matmul: needs B as a second input or as const=, exactly one of them")
    x = make.uniform(config.inputs[0])
    y = make.uniform(a["const"] if "const" in a else config.inputs[1])
    if min(len(x.shape), len(y.shape)) < 2:
        raise ValueError("matmul: operands need rank >= 2")
    lhs = x.transpose(-1, -2) if a["ta"] else x
    rhs = y.transpose(-1, -2) if a["tb"] else y
    if lhs.shape[-1] != rhs.shape[-2]:
        raise ValueError(f"matmul: inner dims {lhs.shape[-1]} and {rhs.shape[-2]} differ")
    return Built(lambda: torch.matmul(lhs, rhs), "torch matmul", [x, y])


def build_resize(torch, F, config, make):
    """Nearest or bilinear to the IR's output size (floor(in x scale) when given scales)."""
    x_shape = single_input(config)
    a = config.attrs
    if len(x_shape) != 4:
        raise Unsupported(f"resize needs a rank-4 input, got {len(x_shape)}")
    modes = {"nearest": "nearest", "linear": "bilinear"}
    if a["mode"] not in modes:
        raise ValueError(f"resize: unknown mode '{a['mode']}'")
    if "size" in a:
        size = tuple(a["size"])
    else:
        size = tuple(int(math.floor(d * s)) for d, s in zip(x_shape[2:], a["scale"]))
    x = make.uniform(x_shape)
    mode = modes[a["mode"]]
    corners = False if mode == "bilinear" else None
    return Built(lambda: F.interpolate(x, size=size, mode=mode, align_corners=corners),
                 f"torch interpolate ({mode})", [x])


def build_layer(torch, config, row, make, device):
    """The layer of `config` in torch; Unsupported when torch cannot express it exactly."""
    F = torch.nn.functional
    kind, a = config.kind, config.attrs
    benchmark = " (cudnn.benchmark)" if device == "cuda" and torch.backends.cudnn.benchmark else ""
    if kind == "conv":
        return build_conv(torch, F, config, make, benchmark)
    if kind == "pool":
        return build_pool(torch, F, config, make, row)
    if kind == "fc":
        x_shape = single_input(config)
        weight = make.uniform((a["out"], x_shape[-1]))
        bias = make.uniform((a["out"],)) if a["bias"] else None
        x = make.uniform(x_shape)
        return Built(lambda: F.linear(x, weight, bias), "torch linear", [x, weight, bias])
    if kind == "bn":
        x_shape = single_input(config)
        if len(x_shape) < 2:
            raise Unsupported("bn needs a channel dim")
        # cuDNN takes batch-norm parameters in fp32 whatever the data type (as the C++ backend
        # does); the CPU kernels of older torch want the input's type.
        params_type = torch.float32 if device == "cuda" else make.dtype
        c = (x_shape[1],)
        scale, shift = make.uniform(c, params_type), make.uniform(c, params_type)
        mean, variance = make.uniform(c, params_type), make.positive(c, params_type)
        x = make.uniform(x_shape)
        eps = a["eps"]
        return Built(lambda: F.batch_norm(x, mean, variance, scale, shift, False, 0.0, eps),
                     "torch batch_norm (inference)" + benchmark, [x, scale, shift, mean, variance])
    if kind == "act":
        return build_activation(torch, F, config, make)
    if kind in ("add", "mul", "max"):
        return build_elementwise(torch, F, config, make)
    if kind == "concat":
        xs = [make.uniform(s) for s in config.inputs]
        axis = normalized_axis(a["axis"], len(config.inputs[0]), "concat")
        return Built(lambda: torch.cat(xs, axis), "torch cat", xs)
    if kind == "lrn":
        x_shape = single_input(config)
        x = make.uniform(x_shape)
        size, alpha, beta, k = a["size"], a["alpha"], a["beta"], a["bias"]
        algorithm = "torch local_response_norm (composite: pad, avg_pool, pow, div)"
        if len(x_shape) == 2:  # torch wants a spatial dim: a free view adds one
            return Built(lambda: F.local_response_norm(x.unsqueeze(-1), size, alpha, beta,
                                                       k).squeeze(-1), algorithm, [x])
        return Built(lambda: F.local_response_norm(x, size, alpha, beta, k), algorithm, [x])
    if kind == "softmax":
        x_shape = single_input(config)
        x = make.uniform(x_shape)
        axis = normalized_axis(a["axis"], len(x_shape), "softmax")
        return Built(lambda: F.softmax(x, axis), "torch softmax", [x])
    if kind == "layernorm":
        x_shape = single_input(config)
        axis = normalized_axis(a["axis"], len(x_shape), "layernorm")
        normalized = tuple(x_shape[axis:])
        weight = make.uniform(normalized) if a["affine"] else None
        bias = make.uniform(normalized) if a["affine"] else None
        x = make.uniform(x_shape)
        eps = a["eps"]
        return Built(lambda: F.layer_norm(x, normalized, weight, bias, eps), "torch layer_norm",
                     [x, weight, bias])
    if kind == "transpose":
        x_shape = single_input(config)
        perm = tuple(a["perm"])
        if sorted(perm) != list(range(len(x_shape))):
            raise ValueError(f"transpose: perm {perm} does not fit rank {len(x_shape)}")
        x = make.uniform(x_shape)
        # clone, not contiguous(): the data is moved even when the permutation keeps the
        # layout, as the IR counts it.
        return Built(lambda: x.permute(perm).clone(memory_format=torch.contiguous_format),
                     "torch permute + clone", [x])
    if kind == "slice":
        x_shape = single_input(config)
        axis = normalized_axis(a["axis"], len(x_shape), "slice")
        dim = x_shape[axis]

        def clamp(v):
            return min(max(v + dim if v < 0 else v, 0), dim)
        start, end, step = clamp(a["start"]), clamp(a["end"]), a["step"]
        if step <= 0 or end <= start:
            raise ValueError(f"slice [{a['start']}, {a['end']}) step {step} is empty")
        index = tuple([slice(None)] * axis + [slice(start, end, step)])
        x = make.uniform(x_shape)
        return Built(lambda: x[index].clone(memory_format=torch.contiguous_format),
                     "torch slice + clone", [x])
    if kind == "matmul":
        return build_matmul(torch, config, make)
    if kind == "resize":
        return build_resize(torch, F, config, make)
    raise Unsupported(f"layer kind '{kind}' has no torch implementation here")


def check_output_shape(output, config, row):
    """Compares torch's output with what the C++ tool's features say the IR computes."""
    shape = tuple(output.shape)
    count = 1
    for d in shape:
        count *= d
    expected = {}
    kind = config.kind
    out_elements = feature(row, "output_elements")
    if out_elements is not None:
        expected["elements"] = int(out_elements)
    elif kind in ("add", "mul", "max", "transpose", "concat", "slice"):
        expected["elements"] = int(feature(row, "batch") * feature(row, "elements_per_sample"))
    elif feature(row, "input_elements") is not None:
        expected["elements"] = int(feature(row, "input_elements"))
    if kind == "conv":
        expected["shape"] = tuple(int(feature(row, n)) for n in
                                  ("batch", "out_channels", "out_height", "out_width"))
    elif kind == "pool":
        expected["dims 0-2"] = tuple(int(feature(row, n)) for n in
                                     ("batch", "in_channels", "out_height"))
    elif kind == "fc":
        expected["last dim"] = int(feature(row, "out_features"))
    actual = {"elements": count, "shape": shape, "dims 0-2": shape[:3],
              "last dim": shape[-1] if shape else None}
    for key, value in expected.items():
        if actual[key] != value:
            raise Unsupported(f"torch's output {'x'.join(map(str, shape))} differs from the IR's "
                              f"({key} {value} expected): torch computes another layer")


# ----------------------------------------------------------------------------------------------
# Timing: a workload runs the layer `n` times back to back (PreparedLayer's timed_runs, run_for).


class Workload:
    def __init__(self, torch, run, device, gpu=0):
        self.torch = torch
        self.run = run
        self.cuda = device == "cuda"
        self.gpu = gpu  # named in every call: the power window's thread has its own device

    def timed_runs(self, iterations):
        """Elapsed ms of `iterations` back-to-back runs: CUDA events, or a steady clock."""
        torch = self.torch
        with torch.inference_mode():
            if self.cuda:
                torch.cuda.set_device(self.gpu)
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                for _ in range(iterations):
                    self.run()
                end.record()
                end.synchronize()
                return float(start.elapsed_time(end))
            begin = time.perf_counter()
            for _ in range(iterations):
                self.run()
            return (time.perf_counter() - begin) * 1e3

    def run_for(self, seconds, chunk=1):
        """Runs back to back for at least `seconds`; returns the iterations done."""
        torch = self.torch
        done = 0
        if self.cuda:
            torch.cuda.set_device(self.gpu)
        begin = time.perf_counter()
        with torch.inference_mode():
            while True:
                for _ in range(chunk):
                    self.run()
                done += chunk
                if self.cuda:
                    torch.cuda.synchronize(self.gpu)
                if time.perf_counter() - begin >= seconds:
                    return done


MAX_ITERATIONS = 1 << 20


def checked_ms(ms, iterations):
    if not math.isfinite(ms) or ms < 0:
        raise ToolError(f"the timer reported {ms} ms for {iterations} runs")
    return ms


def run_trials(timed_runs, trials, iterations, stop):
    per_run = []
    for _ in range(trials):
        stop.check()
        per_run.append(checked_ms(timed_runs(iterations), iterations) / iterations)
    return per_run, spread_pct(per_run)


def measure_runtime(timed_runs, trials, warmup, min_trial_ms, stop, max_warmup_s=2.0,
                    max_spread_pct=10.0):
    """src/profile/measurement.cpp's measure_runtime: (median ms, spread %, iterations)."""
    if trials < 1:
        raise ToolError(f"trials must be at least 1, got {trials}")
    fastest, spent = 0.0, 0.0
    for i in range(max(warmup, 1)):
        stop.check()
        ms = checked_ms(timed_runs(1), 1)
        fastest = ms if i == 0 else min(fastest, ms)
        spent += ms
        if spent > max_warmup_s * 1e3:
            break

    def iterations_for(per_run_ms):
        if per_run_ms <= 0:
            return MAX_ITERATIONS
        return min(max(int(math.ceil(min_trial_ms / per_run_ms)), 1), MAX_ITERATIONS)

    iterations = iterations_for(fastest)
    if iterations > 1:
        stop.check()
        ms = checked_ms(timed_runs(iterations), iterations)
        if ms < 0.5 * min_trial_ms:
            iterations = iterations_for(ms / iterations)
    best, best_spread = run_trials(timed_runs, trials, iterations, stop)
    if best_spread > max_spread_pct and trials >= 4:
        again, again_spread = run_trials(timed_runs, trials, iterations, stop)
        if again_spread < best_spread:
            best, best_spread = again, again_spread
    return median(best), best_spread, iterations


# ----------------------------------------------------------------------------------------------
# Power: NVML's total-energy counter over a window aligned to its updates (measure_energy_window).


class SteadyClock:
    def now(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)


CLOCK_EVENT_REASONS = [
    (0x1, "gpu_idle"), (0x2, "applications_clocks_setting"), (0x4, "sw_power_cap"),
    (0x8, "hw_slowdown"), (0x10, "sync_boost"), (0x20, "sw_thermal_slowdown"),
    (0x40, "hw_thermal_slowdown"), (0x80, "hw_power_brake_slowdown"),
    (0x100, "display_clock_setting"),
]


def decode_clock_event_reasons(reasons):
    if reasons == 0:
        return "none"
    names = [name for bit, name in CLOCK_EVENT_REASONS if reasons & bit]
    known = 0
    for bit, _ in CLOCK_EVENT_REASONS:
        known |= bit
    if reasons & ~known:
        names.append(f"unknown_0x{reasons & ~known:x}")
    return ",".join(names)


def text_of(value):
    return value.decode() if isinstance(value, bytes) else str(value)


class NvmlMeter:
    """The GPU's NVML readings; energy_mj from nvmlDeviceGetTotalEnergyConsumption."""

    update_period_ms = 100.0  # until measure_counter_period replaces it (command_profile)

    def __init__(self, torch, index):
        try:
            import pynvml
        except ImportError:
            raise ToolError("--power needs pynvml (the nvidia-ml-py package)") from None
        self.nvml = pynvml
        pynvml.nvmlInit()
        self.handle, self.how = self._handle(torch, index)
        try:
            self.driver = text_of(pynvml.nvmlSystemGetDriverVersion())
        except pynvml.NVMLError:
            self.driver = ""
        try:
            pynvml.nvmlDeviceGetTotalEnergyConsumption(self.handle)
        except pynvml.NVMLError as e:
            raise ToolError(f"NVML on {self.how}: total energy counter unavailable "
                            f"(nvmlDeviceGetTotalEnergyConsumption: {e})") from None
        # The newer name first; older bindings or drivers have only the throttle one.
        self.reason_getters = [getattr(pynvml, name) for name in (
            "nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons")
            if hasattr(pynvml, name)]

    def _handle(self, torch, index):
        """The NVML device of torch's device `index` (CUDA_VISIBLE_DEVICES may reorder)."""
        nvml = self.nvml
        props = torch.cuda.get_device_properties(index)
        bus = getattr(props, "pci_bus_id", None)
        if bus is not None:
            bus_id = (f"{getattr(props, 'pci_domain_id', 0):08x}:{bus:02x}:"
                      f"{getattr(props, 'pci_device_id', 0):02x}.0")
            try:
                return nvml.nvmlDeviceGetHandleByPciBusId(bus_id), "PCI " + bus_id
            except nvml.NVMLError:
                pass
        uuid = getattr(props, "uuid", None)
        if uuid is not None:
            text = str(uuid)
            for candidate in (text, "GPU-" + text):
                try:
                    return nvml.nvmlDeviceGetHandleByUUID(candidate), candidate
                except (nvml.NVMLError, TypeError):
                    pass
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        if visible:
            raise ToolError("cannot match the CUDA device to an NVML device (this torch gives "
                            "no PCI bus id or UUID); unset CUDA_VISIBLE_DEVICES and use --gpu")
        return nvml.nvmlDeviceGetHandleByIndex(index), f"NVML index {index}"

    def read_energy(self):
        """The counter alone: what a power window polls (the other readings cost NVML calls
        between a step and its time stamp)."""
        try:
            return float(self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle))
        except self.nvml.NVMLError as e:
            raise ToolError(f"NVML energy counter: {e}") from None

    def temperature(self, h):
        """nvmlDeviceGetTemperatureV where the binding has it (nvmlDeviceGetTemperature is
        deprecated), else the older call."""
        nvml = self.nvml
        getter = getattr(nvml, "nvmlDeviceGetTemperatureV", None)
        if getter is not None:
            try:
                value = getter(h, nvml.NVML_TEMPERATURE_GPU)
                return float(getattr(value, "temperature", value))
            except (TypeError, AttributeError, ValueError):
                pass  # a binding with another signature
        return nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU)

    def read(self):
        nvml, h = self.nvml, self.handle
        r = {}

        def optional(key, fn, *args, scale=1.0):
            try:
                r[key] = fn(h, *args) * scale
            except nvml.NVMLError:
                pass
        optional("energy_mj", nvml.nvmlDeviceGetTotalEnergyConsumption)
        optional("sm_clock_mhz", nvml.nvmlDeviceGetClockInfo, nvml.NVML_CLOCK_SM)
        optional("mem_clock_mhz", nvml.nvmlDeviceGetClockInfo, nvml.NVML_CLOCK_MEM)
        optional("temperature_c", self.temperature)
        optional("power_limit_w", nvml.nvmlDeviceGetEnforcedPowerLimit, scale=1e-3)
        for getter in self.reason_getters:
            try:
                value = getter(h)
            except nvml.NVMLError:
                continue
            r["throttle_reasons"] = decode_clock_event_reasons(int(getattr(value, "value", value)))
            break
        return r


class PowerWindow:
    def __init__(self):
        self.power_w = 0.0
        self.spread_pct = None
        self.window_s = 0.0
        self.energy_mj = 0.0
        self.iterations = 0
        self.last = {}


def energy_of(reading):
    return checked_energy(reading.get("energy_mj"))


def checked_energy(e):
    if e is None:
        raise ToolError("the power meter gave no energy reading")
    if not math.isfinite(e):
        raise ToolError(f"the power meter gave {e} mJ")
    return float(e)


def energy_reader(meter):
    """The meter's counter alone where it has one (NvmlMeter.read_energy), else from read()."""
    read_energy = getattr(meter, "read_energy", None)
    return read_energy if read_energy else lambda: energy_of(meter.read())


def measure_counter_period(meter, clock, changes=6, timeout_s=3.0, poll_s=5e-4):
    """The energy counter's update period in ms: the median interval between `changes` + 1
    successive changes, polled every poll_s (Volta and newer update every 100 ms or faster, so
    this is not assumed). ToolError when the counter does not move."""
    read = energy_reader(meter)
    start = clock.now()
    value = checked_energy(read())
    times = []
    while len(times) < changes + 1:
        if clock.now() - start > timeout_s:
            raise ToolError(f"the energy counter changed {len(times)} times in {timeout_s:g} s: "
                            "its update period is unknown")
        clock.sleep(poll_s)
        e = checked_energy(read())
        if e != value:
            value = e
            times.append(clock.now())
    intervals = sorted(b - a for a, b in zip(times, times[1:]))
    return 1e3 * intervals[len(intervals) // 2]


def measure_energy_window(meter, step, min_seconds, clock, stop):
    """One window aligned to counter changes; `step(seconds)` keeps the device busy (or sleeps)
    about that long and returns the iterations it ran. src/profile/measurement.cpp's rules.
    Inside the window only the energy counter is polled; the other readings are taken once, at
    its end."""
    period_s = max(meter.update_period_ms, 0.1) / 1e3
    step_s = max(period_s / 20.0, 5e-4)
    timeout_s = 20 * period_s + 1.0
    read = energy_reader(meter)
    state = {"read_time": clock.now(), "longest": 0.0, "iterations": 0}
    state["value"] = checked_energy(read())

    def advance():
        stop.check()
        before = clock.now()
        ran = step(step_s)
        e = checked_energy(read())
        now = clock.now()
        state["longest"] = max(state["longest"], now - before)
        previous_time = state["read_time"]
        state["read_time"] = now
        state["iterations"] += ran
        if e == state["value"]:
            return None
        if e < state["value"]:
            raise ToolError(f"the energy counter went backwards ({state['value']} -> {e} mJ)")
        state["value"] = e
        return (0.5 * (previous_time + now), e)

    wait_start = clock.now()
    start = advance()
    while start is None:
        if clock.now() - wait_start > timeout_s:
            raise ToolError(f"the energy counter did not change in {timeout_s:g} s")
        start = advance()
    state["iterations"] = 0  # runs before the window opened do not count
    changes = [start]
    max_window_s = max(10 * min_seconds, 60.0)
    while True:
        change = advance()
        elapsed = clock.now() - start[0]
        if change is not None:
            changes.append(change)
            wanted = min(max(min_seconds, 5 * period_s, 40 * state["longest"]), max_window_s)
            if change[0] - start[0] >= wanted:
                break
        elif elapsed - (changes[-1][0] - start[0]) > timeout_s:
            raise ToolError("the energy counter stopped changing")
    w = PowerWindow()
    end = changes[-1]
    w.window_s = end[0] - start[0]
    w.energy_mj = end[1] - start[1]
    w.power_w = w.energy_mj / 1e3 / w.window_s
    w.iterations = state["iterations"]
    w.last = meter.read()
    powers = []
    sub_window = max(w.window_s / 10.0, period_s)
    first = 0
    for i in range(1, len(changes)):
        length = changes[i][0] - changes[first][0]
        if length >= sub_window * 0.999 or i + 1 == len(changes):
            if length > 0:
                powers.append((changes[i][1] - changes[first][1]) / 1e3 / length)
            first = i
    if len(powers) >= 4:
        w.spread_pct = spread_pct(powers)
    return w


class BackgroundRunner:
    """Runs the workload back to back on its own thread, so that the device does not idle while
    the main thread reads the meter."""

    CHUNK_SECONDS = 0.05

    def __init__(self, workload, chunk):
        self.done = threading.Event()
        self.iterations = 0
        self.lock = threading.Lock()
        self.failure = None

        def loop():
            try:
                while not self.done.is_set():
                    ran = workload.run_for(self.CHUNK_SECONDS, chunk)
                    with self.lock:
                        self.iterations += ran
            except BaseException as e:  # re-raised on the main thread
                self.failure = e
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()

    def take_iterations(self):
        with self.lock:
            n, self.iterations = self.iterations, 0
        return n

    def rethrow(self):
        if self.failure is not None:
            self.finish()
            raise self.failure

    def finish(self):
        self.done.set()
        self.thread.join()


def measure_power_window(meter, workload, chunk, min_seconds, clock, stop):
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # the polling thread gets the interpreter back promptly
    runner = BackgroundRunner(workload, chunk)
    try:
        def step(seconds):
            clock.sleep(seconds)
            runner.rethrow()
            return runner.take_iterations()
        return measure_energy_window(meter, step, min_seconds, clock, stop)
    finally:
        runner.finish()
        sys.setswitchinterval(switch)


def measure_idle_power(meter, min_seconds, clock, stop):
    def step(seconds):
        clock.sleep(seconds)
        return 0
    return measure_energy_window(meter, step, min_seconds, clock, stop)


# ----------------------------------------------------------------------------------------------
# Dataset files.


def csv_cell(text):
    """RFC 4180 quoting exactly as the C++ writer does (src/report/table.cpp)."""
    if not any(ch in text for ch in ',"\n\r'):
        return text
    return '"' + text.replace('"', '""') + '"'


def csv_line(cells):
    return ",".join(csv_cell(c) for c in cells) + "\n"


def split_csv_line(line):
    return next(csv.reader([line]))


def number(value):
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return ""
    return repr(float(value))


def read_dataset_rows(path, what):
    """(header, rows as dicts) of a dataset CSV; ToolError naming the file when malformed."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ToolError(f"cannot read {what} '{path}': {e.strerror}") from None
    return parse_dataset_text(text, path)


def parse_dataset_text(text, path):
    lines = text.split("\n")
    if not lines or not lines[0]:
        raise ToolError(f"{path}: empty (no header)")
    header = split_csv_line(lines[0])
    for column in PLAN_COLUMNS + MEASUREMENT_COLUMNS:
        if column not in header:
            raise ToolError(f"{path}:1: missing column '{column}' (not a dataset CSV?)")
    rows = []
    for number_, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        cells = split_csv_line(line)
        if len(cells) != len(header):
            raise ToolError(f"{path}:{number_}: {len(cells)} cells, the header has {len(header)}")
        rows.append(dict(zip(header, cells)))
    return header, rows


def platform_key(row):
    return f"'{row['device']}' ({row['backend']}, {row['dtype']})"


class DatasetAppender:
    """The output CSV opened for appending, like src/profile/dataset_appender.cpp: locked, a cut
    last line removed, the header checked, the configs already there read (resume keys)."""

    def __init__(self, path, header):
        self.path = path
        self.header = header
        self.repair_note = ""
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise ToolError(f"cannot open dataset '{path}': {e.strerror}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            raise ToolError(f"dataset '{path}' is being written by another process") from None
        chunks = []
        while True:
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        data = b"".join(chunks)
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            self.repair_note = (f"{path}: removed a partial last line of {len(data) - keep} bytes "
                                "left by an interrupted run")
            os.ftruncate(self.fd, keep)
            data = data[:keep]
        os.lseek(self.fd, 0, os.SEEK_END)
        header_line = csv_line(header).encode()
        self.configs = set()
        self.platforms = set()
        if not data:
            os.write(self.fd, header_line)
            return
        if not data.startswith(header_line):
            os.close(self.fd)
            raise ToolError(f"'{path}' exists and its header is not the plan's dataset header; "
                            "write to a new file or check the file")
        _, rows = parse_dataset_text(data.decode("utf-8"), path)
        for row in rows:
            self.configs.add(row["config"])
            self.platforms.add(platform_key(row))

    def check_platform(self, row):
        mine = platform_key(row)
        for theirs in self.platforms:
            if theirs != mine:
                raise ToolError(f"'{self.path}' holds rows measured on {theirs}, this run is on "
                                f"{mine}; a dataset holds one platform: write to another --out")

    def append(self, row):
        line = csv_line([row.get(c, "") for c in self.header]).encode()
        os.write(self.fd, line)  # one write of one whole row
        self.configs.add(row["config"])


# ----------------------------------------------------------------------------------------------
# The run.


class StopFlag:
    def __init__(self):
        self.raised = False

    def check(self):
        if self.raised:
            raise Interrupted()


def install_stop_signals(stop):
    def handler(signum, _frame):
        stop.raised = True
        signal.signal(signum, signal.SIG_DFL)  # a second Ctrl-C ends the process at once
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def import_torch():
    try:
        import torch
    except ImportError:
        raise ToolError("cannot import torch: install PyTorch (Debian: apt-get install "
                        "python3-torch)") from None
    return torch


def set_math_mode(torch, allow_tf32):
    """Strict fp32 unless --tf32; returns the math mode as the C++ tool names it."""
    if hasattr(torch.backends, "fp32_precision"):  # torch >= 2.9: the legacy flags are deprecated
        mode = "tf32" if allow_tf32 else "ieee"
        torch.backends.cuda.matmul.fp32_precision = mode
        torch.backends.cudnn.conv.fp32_precision = mode
        effective = (torch.backends.cuda.matmul.fp32_precision == "tf32" or
                     torch.backends.cudnn.conv.fp32_precision == "tf32")
    else:
        torch.backends.cuda.matmul.allow_tf32 = allow_tf32
        torch.backends.cudnn.allow_tf32 = allow_tf32
        effective = torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32
    if effective != allow_tf32:
        raise ToolError("could not set torch's TF32 mode")
    # fp16/bf16 GEMMs accumulate in fp32 throughout, as the C++ backend's CUBLAS_COMPUTE_32F.
    for kind in ("fp16", "bf16"):
        flag = f"allow_{kind}_reduced_precision_reduction"
        if hasattr(torch.backends.cuda.matmul, flag):
            setattr(torch.backends.cuda.matmul, flag, False)
    return "tf32-allowed" if allow_tf32 else "strict"


def cpu_model_name():
    fallback = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, colon, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if not colon or not value:
                    continue
                if key == "model name":
                    return value
                if not fallback and key in ("Model", "Hardware", "cpu model"):
                    fallback = value
    except OSError:
        pass
    return fallback or platform_module.processor() or "unknown CPU"


def describe_platform(torch, args, dtype):
    """The platform columns of every row of this run."""
    p = {"backend": "torch", "dtype": dtype, "clocks_locked": "no"}
    version = torch.__version__
    if args.device == "cuda":
        p["device"] = torch.cuda.get_device_name(args.gpu)
        p["runtime_version"] = f"torch {version} (CUDA {torch.version.cuda}, eager)"
        cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        p["library_version"] = f"cuDNN {cudnn}" if cudnn else "no cuDNN"
        p["math_mode"] = set_math_mode(torch, args.tf32) if dtype == "fp32" else "strict"
        if dtype != "fp32":
            set_math_mode(torch, False)
    else:
        threads = args.threads
        p["device"] = f"{cpu_model_name()} ({threads} thread{'' if threads == 1 else 's'})"
        p["runtime_version"] = f"torch {version} (CPU, eager)"
        p["library_version"] = ("oneDNN (mkldnn) enabled" if torch.backends.mkldnn.is_available()
                                else "")
        p["math_mode"] = "strict"
    p["driver"] = f"{platform_module.system()} {platform_module.release()}"
    return p


def read_plan(args):
    """(header, rows) of the plan: --plan FILE, or the C++ tool run with --plan-out -."""
    if args.plan:
        header, rows = read_dataset_rows(args.plan, "plan")
        source = args.plan
    else:
        binary = args.neuralpower or os.path.join(REPO_ROOT, "build", "neuralpower")
        if not os.path.exists(binary):
            raise ToolError(f"no --plan given and no neuralpower binary at '{binary}' "
                            "(build it, or pass --neuralpower or --plan)")
        command = [binary, "profile", "layers", "--backend", args.device,
                   "--dtype", args.dtype or "fp32", "--plan-out", "-"]
        command += shlex.split(args.plan_args or "")
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        if result.returncode != 0:
            message = result.stderr.strip().splitlines()
            raise ToolError(f"'{' '.join(command)}' failed (exit {result.returncode}): "
                            f"{message[-1] if message else ''}")
        sys.stderr.write(result.stderr)
        header, rows = parse_dataset_text(result.stdout, "the plan of " + binary)
        source = binary
    for i, row in enumerate(rows):
        if row["status"] != "planned":
            raise ToolError(f"{source}: row {i + 2} has status '{row['status']}', not 'planned': "
                            "give a plan from `neuralpower profile layers --plan-out`")
    return header, rows


def plan_dtype(rows, wanted):
    dtypes = sorted({row["dtype"] for row in rows})
    if len(dtypes) > 1:
        raise ToolError(f"the plan mixes data types {', '.join(dtypes)}")
    dtype = dtypes[0] if dtypes else (wanted or "fp32")
    if wanted and wanted != dtype:
        raise ToolError(f"the plan is {dtype}, --dtype says {wanted}")
    return dtype


def one_line(text):
    return " ".join(str(text).split())


def is_out_of_memory(torch, error):
    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(error, oom)) or "out of memory" in str(error)


def prepare(torch, row, args, dtype):
    """Builds the layer, runs it once (cuDNN's benchmark and lazy setup happen here, outside
    the timed region) and checks its output against the IR's."""
    try:
        config = parse_config(row["config"])
    except ValueError as e:
        raise ToolError(f"cannot parse config: {e}") from None
    if config.kind != row["kind"]:
        raise ToolError(f"config of kind '{config.kind}' in a '{row['kind']}' row")
    make = TensorFactory(torch, args.device, torch_dtype(torch, dtype), args.seed)
    built = build_layer(torch, config, row, make, args.device)
    with torch.inference_mode():
        output = built.run()
    if args.device == "cuda":
        torch.cuda.synchronize(args.gpu)
    check_output_shape(output, config, row)
    return built, tuple(output.shape)


def measure_row(torch, row, args, dtype, platform, meter, idle_power_w, stop):
    out = {c: row[c] for c in row if c in PLAN_COLUMNS or c.startswith("f_")}
    out.update(platform)
    # Features (and so the model's inputs) are the C++ tool's of this version.
    out["tool_version"] = f"{row['tool_version']}+{TOOL_NAME}"
    out.update(status="ok", failure_reason="", trials="0", idle_power_w=number(idle_power_w))
    try:
        built, _ = prepare(torch, row, args, dtype)
        out["algorithm"] = one_line(built.algorithm)
        workload = Workload(torch, built.run, args.device, args.gpu)
        runtime, spread, iterations = measure_runtime(
            workload.timed_runs, args.trials, args.warmup, args.min_trial_ms, stop)
        out.update(runtime_ms=number(runtime), runtime_spread_pct=number(spread),
                   trials=str(args.trials))
        if meter is not None:
            chunk = max(1, min(iterations, int(math.ceil(5.0 / max(runtime, 1e-6)))))
            try:
                w = measure_power_window(meter, workload, chunk, args.power_window,
                                         SteadyClock(), stop)
                out.update(power_w=number(w.power_w), power_spread_pct=number(w.spread_pct),
                           energy_mj=number(w.power_w * runtime), window_s=number(w.window_s))
                for key in ("sm_clock_mhz", "mem_clock_mhz", "temperature_c", "power_limit_w"):
                    out[key] = number(w.last.get(key))
                out["throttle_reasons"] = w.last.get("throttle_reasons", "")
            except ToolError as e:  # the runtime stands; the power stays missing
                sys.stderr.write(f"  no power for {row['config']}: {e}\n")
    except Interrupted:
        raise
    except Exception as e:  # noqa: BLE001 - every failure is a row, with its reason
        if isinstance(e, Unsupported):
            reason = "unsupported: " + str(e)
        elif is_out_of_memory(torch, e):
            reason = "out of device memory: " + str(e)
            if args.device == "cuda":
                torch.cuda.empty_cache()
        elif isinstance(e, ToolError):
            reason = "error: " + str(e)
        else:
            reason = f"error: {type(e).__name__}: {e}"
        for key in ("runtime_ms", "runtime_spread_pct", "power_w", "power_spread_pct",
                    "energy_mj", "window_s", "sm_clock_mhz", "mem_clock_mhz", "temperature_c",
                    "power_limit_w", "throttle_reasons"):
            out[key] = ""
        out.update(status="failed", failure_reason=one_line(reason), trials="0")
    out["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def selected_rows(rows, args):
    if args.kinds:
        kinds = set(args.kinds.split(","))
        known = set(ATTRIBUTES)
        unknown = kinds - known
        if unknown:
            raise ToolError(f"--kinds: unknown kind '{sorted(unknown)[0]}' "
                            f"(known: {', '.join(sorted(known))})")
        rows = [r for r in rows if r["kind"] in kinds]
    if args.max_configs:
        rows = rows[:args.max_configs]
    return rows


def setup_device(torch, args):
    if args.device == "cuda":
        if not torch.cuda.is_available():
            raise ToolError("--device cuda: torch sees no CUDA device "
                            f"(torch {torch.__version__}, built with CUDA {torch.version.cuda})")
        if args.gpu >= torch.cuda.device_count():
            raise ToolError(f"--gpu {args.gpu}: torch sees {torch.cuda.device_count()} devices")
        torch.cuda.set_device(args.gpu)
        torch.backends.cudnn.benchmark = not args.no_benchmark
    else:
        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # already fixed by earlier parallel work


def short(value):
    return f"{value:.4g}"


def command_profile(args):
    if args.power and args.device != "cuda":
        raise UsageError("--power needs --device cuda (NVML)")
    header, plan_rows = read_plan(args)
    dtype = plan_dtype(plan_rows, args.dtype)
    rows = selected_rows(plan_rows, args)
    out = DatasetAppender(args.out, header)  # a wrong file fails before torch is loaded
    if out.repair_note:
        sys.stderr.write(out.repair_note + "\n")
    torch = import_torch()
    setup_device(torch, args)
    platform = describe_platform(torch, args, dtype)
    out.check_platform(platform)
    seen, todo, already = set(), [], 0
    for row in rows:
        if row["config"] in seen:
            continue  # a plan lists each configuration once; a hand-made one may not
        seen.add(row["config"])
        if row["config"] in out.configs:
            already += 1
        else:
            todo.append(row)
    sys.stderr.write(f"device: {platform['device']} ({platform['runtime_version']}, "
                     f"{platform['library_version'] or 'no library'}, {platform['math_mode']})\n")
    sys.stderr.write(f"plan: {len(seen)} configurations, {already} already in {args.out}, "
                     f"{len(todo)} to measure\n")
    stop = StopFlag()
    install_stop_signals(stop)
    meter, idle_power_w = None, None
    if args.power:
        meter = NvmlMeter(torch, args.gpu)
        platform["driver"] = meter.driver or platform["driver"]
        if todo:
            try:
                meter.update_period_ms = measure_counter_period(meter, SteadyClock())
                sys.stderr.write(f"energy counter (nvml): updates every "
                                 f"{short(meter.update_period_ms)} ms (measured)\n")
            except ToolError as e:
                sys.stderr.write(f"{e}; taking {short(meter.update_period_ms)} ms\n")
            try:
                idle = measure_idle_power(meter, args.power_window, SteadyClock(), stop)
                idle_power_w = idle.power_w
                sys.stderr.write(f"idle power: {short(idle.power_w)} W over "
                                 f"{short(idle.window_s)} s (nvml, {meter.how})\n")
            except Interrupted:
                sys.stderr.write(f"interrupted: {len(todo)} configurations not measured\n")
                return INTERRUPTED_EXIT
            except ToolError as e:
                sys.stderr.write(f"no idle power: {e}\n")
    else:
        sys.stderr.write("runtime only (no --power): power columns are left empty\n")
    started = time.monotonic()
    measured = failed = 0
    for i, row in enumerate(todo):
        remaining = len(todo) - i
        if stop.raised:
            sys.stderr.write(f"interrupted: {remaining} configurations not measured; the same "
                             "command resumes\n")
            return INTERRUPTED_EXIT
        if args.budget_seconds and time.monotonic() - PROCESS_START >= args.budget_seconds:
            sys.stderr.write(f"time budget of {args.budget_seconds:g} s reached: {remaining} "
                             "configurations not measured; the same command resumes\n")
            break
        try:
            result = measure_row(torch, row, args, dtype, platform, meter, idle_power_w, stop)
        except Interrupted:
            sys.stderr.write(f"interrupted: {remaining} configurations not measured; the same "
                             "command resumes\n")
            return INTERRUPTED_EXIT
        out.append(result)
        measured += 1
        failed += result["status"] == "failed"
        rate = (i + 1) / max(time.monotonic() - started, 1e-9)
        if result["status"] == "failed":
            what = f"FAILED ({result['failure_reason']})"
        else:
            what = (f"{short(float(result['runtime_ms']))} ms "
                    f"+-{short(float(result['runtime_spread_pct']))}%")
            if result.get("power_w"):
                what += f", {short(float(result['power_w']))} W"
        sys.stderr.write(f"[{already + i + 1}/{len(seen)}] {row['config']}: {what} | "
                         f"{short(rate * 60)} configs/min\n")
        sys.stderr.flush()
    sys.stderr.write(f"wrote {measured} rows to {args.out} ({failed} failed), {already} were "
                     "there already\n")
    return 0


def command_shapes(args):
    """Each plan row's torch output shape as JSON lines: a check of torch against the IR."""
    header, plan_rows = read_plan(args)
    dtype = plan_dtype(plan_rows, args.dtype)
    torch = import_torch()
    setup_device(torch, args)
    for row in selected_rows(plan_rows, args):
        entry = {"config": row["config"], "source_network": row["source_network"],
                 "source_layer": row["source_layer"], "output_shape": None, "error": ""}
        try:
            _, entry["output_shape"] = prepare(torch, row, args, dtype)
        except Unsupported as e:
            entry["error"] = "unsupported: " + one_line(e)
        except Exception as e:  # noqa: BLE001 - reported per row
            entry["error"] = f"error: {type(e).__name__}: {one_line(e)}"
        print(json.dumps(entry), flush=True)
    return 0


# ----------------------------------------------------------------------------------------------
# compare A.csv B.csv: the same configurations measured twice.


def measured_rows(path):
    _, rows = read_dataset_rows(path, "dataset")
    by_config = {}
    platforms = set()
    for row in rows:
        if row["status"] != "ok" or row["config"] in by_config:
            continue
        by_config[row["config"]] = row
        platforms.add(f"{row['device']} ({row['backend']}, {row['dtype']}, {row['math_mode']})")
    return by_config, sorted(platforms)


def positive(cell):
    if cell == "":
        return None
    value = float(cell)
    return value if math.isfinite(value) and value > 0 else None


def ratio_summary(ratios):
    if not ratios:
        return "-"
    s = sorted(ratios)
    return f"{quantile(s, 0.5):.3f} [{quantile(s, 0.25):.3f}, {quantile(s, 0.75):.3f}]"


def compare_tables(a_rows, b_rows):
    """Per kind: common configs, B/A runtime ratios, B/A power ratios (lists)."""
    by_kind = {}
    for config, a in a_rows.items():
        b = b_rows.get(config)
        if b is None:
            continue
        entry = by_kind.setdefault(a["kind"], {"common": 0, "runtime": [], "power": []})
        entry["common"] += 1
        for key, target in (("runtime_ms", "runtime"), ("power_w", "power")):
            x, y = positive(a[key]), positive(b[key])
            if x is not None and y is not None:
                entry[target].append(y / x)
    return by_kind


def command_compare(args):
    a_rows, a_platforms = measured_rows(args.a)
    b_rows, b_platforms = measured_rows(args.b)
    by_kind = compare_tables(a_rows, b_rows)
    everything = {"common": 0, "runtime": [], "power": []}
    for entry in by_kind.values():
        for key in everything:
            everything[key] += entry[key]
    titles = ["kind", "common configs", "runtime B/A median [p25, p75]", "power B/A median "
              "[p25, p75]", "with power"]
    lines = []
    for kind in sorted(by_kind) + ["all"]:
        e = everything if kind == "all" else by_kind[kind]
        lines.append([kind, str(e["common"]), ratio_summary(e["runtime"]),
                      ratio_summary(e["power"]), str(len(e["power"]))])
    print(f"A: {args.a}: {len(a_rows)} measured configs on {'; '.join(a_platforms) or '-'}")
    print(f"B: {args.b}: {len(b_rows)} measured configs on {'; '.join(b_platforms) or '-'}")
    only_a = len(set(a_rows) - set(b_rows))
    only_b = len(set(b_rows) - set(a_rows))
    print(f"common: {everything['common']} configs ({only_a} only in A, {only_b} only in B); "
          "ratios are B/A over the common configs\n")
    if args.markdown:
        print("| " + " | ".join(titles) + " |")
        print("|" + "|".join(["---"] + ["---:"] * (len(titles) - 1)) + "|")
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(t), *(len(l[i]) for l in lines)) for i, t in enumerate(titles)]
        print("  ".join(t.ljust(w) if i == 0 else t.rjust(w)
                        for i, (t, w) in enumerate(zip(titles, widths))))
        for line in lines:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                            for i, (c, w) in enumerate(zip(line, widths))))
    if everything["common"] == 0:
        raise ToolError(f"'{args.a}' and '{args.b}' have no measured configuration in common")
    return 0


# ----------------------------------------------------------------------------------------------


class UsageError(Exception):
    """Exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def non_negative(kind):
    def parse(text):
        value = kind(text)
        if not value >= 0:
            raise argparse.ArgumentTypeError(f"must be non-negative, got {text}")
        return value
    return parse


def add_plan_options(p):
    p.add_argument("--plan", help="plan CSV from `neuralpower profile layers --plan-out FILE`")
    p.add_argument("--neuralpower", help="without --plan: the neuralpower binary that makes the "
                   "plan (default: build/neuralpower of this repository)")
    p.add_argument("--plan-args", help="without --plan: plan options for neuralpower, e.g. "
                   "\"--plan random --random 200 --seed 7\"")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="where torch runs the layers (default cpu)")
    p.add_argument("--gpu", type=non_negative(int), default=0, help="CUDA device index")
    p.add_argument("--threads", type=positive_int, default=1, help="CPU threads (default 1)")
    p.add_argument("--dtype", choices=["fp32", "fp16", "bf16", "int8"],
                   help="data type (default: the plan's; fp32 for a plan made here)")
    p.add_argument("--kinds", help="only these layer kinds, comma-separated")
    p.add_argument("--max-configs", type=non_negative(int), default=0,
                   help="at most the first N configurations of the plan")
    p.add_argument("--seed", type=int, default=20170711, help="seed of the test data")
    p.add_argument("--no-benchmark", action="store_true",
                   help="CUDA: leave torch.backends.cudnn.benchmark off")


def make_parser():
    parser = Parser(prog="torch_profile.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", parser_class=Parser)
    profile = commands.add_parser("profile", help="measure a plan, append to a dataset CSV")
    add_plan_options(profile)
    profile.add_argument("--out", required=True, help="dataset CSV to append to (resumable)")
    profile.add_argument("--tf32", action="store_true",
                         help="CUDA fp32: allow TF32 tensor-core math (recorded as tf32-allowed)")
    profile.add_argument("--power", action="store_true",
                         help="CUDA: power windows on NVML's total-energy counter (pynvml)")
    profile.add_argument("--power-window", type=float, default=1.0,
                         help="seconds of back-to-back runs per power window (default 1.0)")
    profile.add_argument("--trials", type=positive_int, default=15,
                         help="timed trials (default 15)")
    profile.add_argument("--warmup", type=non_negative(int), default=5,
                         help="warm-up runs (default 5)")
    profile.add_argument("--min-trial-ms", type=non_negative(float), default=10.0,
                         help="iterations per trial chosen so that a trial lasts this long")
    profile.add_argument("--budget-seconds", type=non_negative(float), default=0.0,
                         help="stop cleanly once this much time has passed since the program "
                         "started (resumable)")
    shapes = commands.add_parser("shapes", help="torch's output shape of each plan row (JSON "
                                 "lines), checked against the IR")
    add_plan_options(shapes)
    compare = commands.add_parser("compare", help="per-kind median B/A ratios of runtime and "
                                  "power over the configurations two datasets share")
    compare.add_argument("a", metavar="A.csv")
    compare.add_argument("b", metavar="B.csv")
    compare.add_argument("--markdown", action="store_true", help="a markdown table")
    return parser


def main(argv):
    try:
        args = make_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("a command is required: profile, shapes or compare")
        if getattr(args, "power_window", 1.0) <= 0:
            raise UsageError("--power-window must be positive")
        if args.command == "profile":
            return command_profile(args)
        if args.command == "shapes":
            return command_shapes(args)
        return command_compare(args)
    except UsageError as e:
        sys.stderr.write(f"torch_profile: usage error: {e} (see --help)\n")
        return 2
    except ToolError as e:
        sys.stderr.write(f"torch_profile: error: {e}\n")
        return 1
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
