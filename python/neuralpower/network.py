"""Networks: loaded by zoo name, file path or ONNX bytes, with their layers' kinds, shapes and
analytical costs (FLOPs, parameters, bytes moved; docs/costs.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple, Union

from . import _core
from ._pandas import require_pandas

ShapeLike = Union[str, Sequence[int]]
InputShapes = Union[ShapeLike, Mapping[str, ShapeLike], None]


@dataclass(frozen=True)
class Layer:
    """One layer: what `neuralpower show` prints for it."""

    index: int  # position in the network, inputs included
    name: str
    kind: str  # "conv", "fc", "pool", ... (docs/network-format.md)
    op: str  # the source's op name ("Conv", "MaxPool")
    inputs: Tuple[str, ...]  # names of the layers it reads
    input_shapes: Tuple[Tuple[int, ...], ...]  # their output shapes, in the same order
    output_shape: Tuple[int, ...]  # batch first
    dtype: str  # the network's data type, or the layer's own (int8 in a quantized QDQ graph)
    flops: int
    macs: int
    params: int
    bytes_read: int
    bytes_written: int
    bytes: int


@dataclass(frozen=True)
class NetworkCost:
    """The network's totals over every layer but its inputs."""

    layers: int
    flops: int
    macs: int
    params: int
    bytes_read: int
    bytes_written: int
    bytes: int


class Network:
    """A network with shapes inferred at one batch size. Immutable: with_batch() gives a copy."""

    __slots__ = ("_core", "_layers")

    def __init__(self, core: _core.Network):
        self._core = core
        self._layers: Optional[Tuple[Layer, ...]] = None

    @property
    def name(self) -> str:
        return self._core.name

    @property
    def batch(self) -> int:
        return self._core.batch

    @property
    def has_batch_dim(self) -> bool:
        """False for a network whose input is one image without a batch dim (a detector's): its
        batch is 1 and with_batch() cannot change it."""
        return self._core.has_batch_dim

    @property
    def dtype(self) -> str:
        return self._core.dtype

    def __len__(self) -> int:
        return len(self._core)

    @property
    def layers(self) -> Tuple[Layer, ...]:
        if self._layers is None:
            self._layers = tuple(Layer(**layer) for layer in self._core.layers())
        return self._layers

    @property
    def total(self) -> NetworkCost:
        return NetworkCost(**self._core.total())

    @property
    def unmodelled(self) -> Tuple[str, ...]:
        """Layers of ops the IR does not model (loaded with allow_unknown=True)."""
        return tuple(self._core.unmodelled())

    def with_batch(self, batch: int) -> "Network":
        return Network(self._core.with_batch(_positive(batch, "batch")))

    def to_pandas(self):
        """One row a layer: the columns of Layer."""
        pandas = require_pandas()
        rows = [layer.__dict__ for layer in self.layers]
        return pandas.DataFrame(rows, columns=list(Layer.__dataclass_fields__))

    def __repr__(self) -> str:
        return f"<neuralpower.Network {self.name!r} batch {self.batch}, {len(self)} layers>"


def _positive(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise _core.Error(f"{what} must be positive, got {value}")
    return value


def _shape(shape: ShapeLike) -> list:
    if isinstance(shape, str):
        return _core.parse_shape(shape)
    dims = list(shape)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        raise TypeError(
            f"a shape is a string like '1x3x224x224' or a sequence of ints, got {shape!r}"
        )
    return dims


def _import_arguments(batch, input_shape: InputShapes, allow_unknown: bool) -> dict:
    named, single = {}, None
    if isinstance(input_shape, Mapping):
        named = {str(name): _shape(shape) for name, shape in input_shape.items()}
    elif input_shape is not None:
        single = _shape(input_shape)
    return {
        "batch": None if batch is None else _positive(batch, "batch"),
        "input_shapes": named,
        "input_shape": single,
        "allow_unknown": bool(allow_unknown),
    }


def load_network(
    source: Union[str, os.PathLike, bytes],
    *,
    batch: Optional[int] = None,
    input_shape: InputShapes = None,
    allow_unknown: bool = False,
) -> Network:
    """A zoo name ("resnet50", see zoo()), a path to an ONNX file or to a JSON net (ours or
    Paleo's), or the bytes of an ONNX model. batch overrides the network's own; input_shape is
    one full shape ("1x3x224x224" or (1, 3, 224, 224)) or a dict of them by input name;
    allow_unknown counts ops the IR does not model as zero cost (listed in Network.unmodelled)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return load_onnx(
            bytes(source), batch=batch, input_shape=input_shape, allow_unknown=allow_unknown
        )
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str):
        raise TypeError(
            f"a network is a zoo name, a path or ONNX bytes, got {type(source).__name__}"
        )
    return Network(
        _core.load_network(source, **_import_arguments(batch, input_shape, allow_unknown))
    )


def load_onnx(
    data: bytes,
    *,
    name: str = "onnx",
    batch: Optional[int] = None,
    input_shape: InputShapes = None,
    allow_unknown: bool = False,
) -> Network:
    """An ONNX model from its bytes; `name` names the network unless the graph has a name of
    its own (exporters' defaults like "torch_jit" do not count)."""
    arguments = _import_arguments(batch, input_shape, allow_unknown)
    return Network(_core.load_onnx_bytes(bytes(data), name + ".onnx", **arguments))


def zoo() -> Tuple[str, ...]:
    """The names of the networks shipped in zoo/ (`neuralpower zoo`)."""
    return tuple(name for name, _path, _format in _core.zoo())
