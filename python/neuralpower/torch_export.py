"""from_torch: a PyTorch module as a Network, exported through torch.onnx into memory (no file)."""

from __future__ import annotations

import io
from typing import Optional

from .network import Network, load_onnx

_NO_TORCH = (
    "neuralpower.from_torch needs PyTorch, which is not installed: on Debian "
    "`apt-get install python3-torch`, elsewhere `pip install torch`"
)


def from_torch(
    module,
    example_input,
    *,
    name: Optional[str] = None,
    batch: Optional[int] = None,
    allow_unknown: bool = False,
    opset_version: Optional[int] = None,
) -> Network:
    """The module exported with torch.onnx.export (in eval mode, as inference runs it) on
    `example_input` (a tensor or a tuple of tensors; its shapes become the network's) and
    imported as load_onnx() does. `name` defaults to the module's class name; `batch`
    overrides the example's batch."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(_NO_TORCH) from error
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    arguments = example_input if isinstance(example_input, tuple) else (example_input,)
    buffer = io.BytesIO()
    export_options = {} if opset_version is None else {"opset_version": opset_version}
    with torch.no_grad():
        torch.onnx.export(module, arguments, buffer, do_constant_folding=True, **export_options)
    return load_onnx(
        buffer.getvalue(),
        name=name or type(module).__name__,
        batch=batch,
        allow_unknown=allow_unknown,
    )
