"""NeuralPower in Python: per-layer and whole-network inference runtime, power and energy of a
neural network predicted from its architecture (Cai et al., ACML 2017).

    import neuralpower as npw
    net = npw.load_network("resnet50", batch=8)           # zoo name, file path or ONNX bytes
    model = npw.load_model("models/cpu-epyc-fifo-1t-fp32.json")
    p = npw.predict(net, model)
    p.runtime_ms, p.energy_mj, p.top(5), p.to_pandas()
    npw.predict_many([net, ...], model, batches=[1, 8, 32])  # totals, no Python loop
    npw.epr([("vgg-16", "7.3%", 1650.0), ...])               # Energy-Precision Ratio
    npw.from_torch(module, torch.zeros(1, 3, 224, 224))     # through torch.onnx, in memory

Results are plain Python objects (frozen dataclasses, tuples, floats, None where a value is not
predicted); `to_pandas()` gives a DataFrame when pandas is installed. Every error of the library
is a `neuralpower.Error` (a RuntimeError) with the command line's one-line message.
Documentation: docs/python.md.
"""

from ._core import Error, __version__
from .epr import EprCandidate, EprResult, EprScore, epr
from .network import Layer, Network, NetworkCost, load_network, load_onnx, zoo
from .prediction import (
    FLAGS,
    BatchPrediction,
    KindModel,
    LayerPrediction,
    Model,
    Prediction,
    gpu_specs,
    load_model,
    paleo,
    predict,
    predict_many,
)
from .torch_export import from_torch

Error.__module__ = "neuralpower"  # tracebacks name it neuralpower.Error

__all__ = [
    "BatchPrediction",
    "EprCandidate",
    "EprResult",
    "EprScore",
    "Error",
    "FLAGS",
    "KindModel",
    "Layer",
    "LayerPrediction",
    "Model",
    "Network",
    "NetworkCost",
    "Prediction",
    "__version__",
    "epr",
    "from_torch",
    "gpu_specs",
    "load_model",
    "load_network",
    "load_onnx",
    "paleo",
    "predict",
    "predict_many",
    "zoo",
]
