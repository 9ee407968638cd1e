"""Predictions: a model file, per-layer and network runtime, power and energy (paper eqs. 3-5)
with the same flags as `neuralpower predict`, the Paleo baseline, and predict_many, the batch
call an architecture search makes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Sequence, Tuple, Union

from . import _core
from ._pandas import require_pandas
from .network import Network, _positive

# What each flag means: the legend of `neuralpower predict` (docs/cli.md).
FLAGS = {
    "no-model": "no runtime model for the kind; counted as 0 ms",
    "unmodelled": "an op the IR does not model (allow_unknown); counted as 0 ms",
    "no-power-model": "no power model for the kind; power and energy missing",
    "power-clamped": "power predicted at or below 0 W; reported missing",
    "clamped": "runtime predicted below 1 us; raised to 1 us",
    "extrapolated": "a feature outside the range seen in training (extrapolated:<feature>)",
    "zero-cost": "a view or no-op; costs nothing by definition",
}


@dataclass(frozen=True)
class KindModel:
    """What a model file holds for one layer kind."""

    kind: str
    features: Tuple[str, ...]
    runtime: bool
    power: bool
    runtime_cv_rmspe: Optional[float]  # cross-validated RMSPE of the runtime model, percent
    power_cv_rmspe: Optional[float]


class Model:
    """A model file from `neuralpower train`, read and compiled once."""

    __slots__ = ("_core",)

    def __init__(self, core: _core.Model):
        self._core = core

    @property
    def path(self) -> str:
        return self._core.path

    @property
    def label(self) -> str:
        """How reports name it: "cpu-epyc-1t-fp32.json (AMD EPYC (1 thread), fp32)"."""
        return self._core.label

    @property
    def platform(self) -> Dict[str, str]:
        return self._core.platform

    @property
    def kinds(self) -> Tuple[KindModel, ...]:
        return tuple(
            KindModel(**{**k, "features": tuple(k["features"])}) for k in self._core.kinds()
        )

    def __repr__(self) -> str:
        return f"<neuralpower.Model {self.label}>"


def load_model(path: Union[str, os.PathLike, None] = None) -> Model:
    """A model file; without a path the one `neuralpower predict` uses without --model
    ($NEURALPOWER_MODEL, else the shipped default), and an Error when there is none."""
    return Model(_core.load_model(None if path is None else os.fspath(path)))


@dataclass(frozen=True)
class LayerPrediction:
    index: int  # the layer's position in the network (Layer.index)
    name: str
    kind: str
    runtime_ms: float
    power_w: Optional[float]  # None: no power prediction for this layer
    energy_mj: Optional[float]
    flags: Tuple[str, ...]  # "no-power-model", "extrapolated:<feature>", ... (FLAGS)
    has_runtime_model: bool  # False for no-model and unmodelled layers (runtime counted as 0)


@dataclass(frozen=True)
class Prediction:
    """A network's prediction: every layer but the inputs, in network order, and the totals."""

    network: str
    batch: int
    model: str
    layers: Tuple[LayerPrediction, ...]
    runtime_ms: float  # eq. 3: the sum over the layers
    power_w: Optional[float]  # eq. 4, over the layers that have a power prediction
    energy_mj: Optional[float]  # eq. 5, the same layers
    runtime_without_power_ms: float  # runtime of the layers without a power prediction

    @property
    def layers_without_model(self) -> Tuple[LayerPrediction, ...]:
        """Layers whose runtime no model gives (counted as 0): the runtime total leaves them out."""
        return tuple(l for l in self.layers if not l.has_runtime_model)

    @property
    def complete(self) -> bool:
        """Every layer has a runtime model and every layer with a runtime has a power."""
        return (
            not self.layers_without_model
            and self.energy_mj is not None
            and self.runtime_without_power_ms == 0
        )

    @property
    def energy_per_item_mj(self) -> Optional[float]:
        """Energy divided by the batch (the EPI of the Energy-Precision Ratio) when every layer
        with a runtime has a power, as `neuralpower epr` requires; layers without a model count
        as 0 (see layers_without_model)."""
        if self.energy_mj is None or self.runtime_without_power_ms > 0:
            return None
        return self.energy_mj / self.batch

    def flag_counts(self) -> Dict[str, int]:
        """Layers per flag, "extrapolated:<feature>" counted per feature."""
        counts: Dict[str, int] = {}
        for layer in self.layers:
            for flag in layer.flags:
                counts[flag] = counts.get(flag, 0) + 1
        return counts

    def top(self, count: int = 10, by: str = "runtime") -> Tuple[LayerPrediction, ...]:
        """The `count` layers with the largest runtime or energy, largest first; layers without
        the value are left out."""
        field = _quantity_field(by)
        known = [l for l in self.layers if getattr(l, field) is not None]
        return tuple(sorted(known, key=lambda l: getattr(l, field), reverse=True)[:count])

    def by_kind(self, by: str = "runtime") -> Dict[str, float]:
        """Runtime (ms) or energy (mJ) summed per layer kind, largest first."""
        field = _quantity_field(by)
        totals: Dict[str, float] = {}
        for layer in self.layers:
            value = getattr(layer, field)
            if value is not None:
                totals[layer.kind] = totals.get(layer.kind, 0.0) + value
        return dict(sorted(totals.items(), key=lambda item: item[1], reverse=True))

    def to_pandas(self):
        """One row a layer: index, name, kind, runtime_ms, power_w, energy_mj (NaN where not
        predicted), runtime_share, energy_share (fractions of the totals) and flags (a string,
        space-separated)."""
        pandas = require_pandas()
        rows = []
        for l in self.layers:
            rows.append(
                {
                    "index": l.index,
                    "name": l.name,
                    "kind": l.kind,
                    "runtime_ms": l.runtime_ms,
                    "power_w": l.power_w,
                    "energy_mj": l.energy_mj,
                    "runtime_share": l.runtime_ms / self.runtime_ms if self.runtime_ms else None,
                    "energy_share": l.energy_mj / self.energy_mj
                    if self.energy_mj and l.energy_mj is not None
                    else None,
                    "flags": " ".join(l.flags),
                }
            )
        frame = pandas.DataFrame(rows, columns=list(rows[0]) if rows else None)
        for column in ("power_w", "energy_mj", "runtime_share", "energy_share"):
            if column in frame:
                frame[column] = frame[column].astype(float)
        return frame


def _quantity_field(by: str) -> str:
    fields = {"runtime": "runtime_ms", "energy": "energy_mj", "power": "power_w"}
    if by not in fields:
        raise ValueError(f"by must be one of {', '.join(fields)}, got {by!r}")
    return fields[by]


def _prediction(result: dict) -> Prediction:
    layers = tuple(LayerPrediction(**layer) for layer in result.pop("layers"))
    return Prediction(layers=layers, **result)


_default_model: Optional[Model] = None


def _model_or_default(model: Optional[Model]) -> Model:
    global _default_model
    if model is not None:
        if not isinstance(model, Model):
            raise TypeError(
                f"model must be a neuralpower.Model (load_model), got {type(model).__name__}"
            )
        return model
    if _default_model is None:
        _default_model = load_model()
    return _default_model


def _network(network) -> Network:
    if not isinstance(network, Network):
        raise TypeError(
            f"expected a neuralpower.Network (load_network), got {type(network).__name__}"
        )
    return network


def predict(network: Network, model: Optional[Model] = None) -> Prediction:
    """Per-layer and network runtime, power and energy, as `neuralpower predict` makes them."""
    return _prediction(_core.predict(_network(network)._core, _model_or_default(model)._core))


def paleo(network: Network, gpu: str = "h100-sxm") -> Prediction:
    """The Paleo analytical baseline (runtime only) on a shipped GPU spec (gpu_specs()) or a
    spec JSON file."""
    return _prediction(_core.predict_paleo(_network(network)._core, os.fspath(gpu)))


def gpu_specs() -> Dict[str, str]:
    """The shipped GPU specs for paleo(): id -> name."""
    return dict(_core.gpu_specs())


@dataclass(frozen=True)
class BatchPrediction:
    """Totals of many networks at many batches, as columns: entry i is networks[network[i]] at
    batch[i], network-major (every batch of the first network, then of the second, ...)."""

    networks: Tuple[str, ...]  # the networks' names, in the order given
    network: Tuple[int, ...]  # index into networks
    batch: Tuple[int, ...]
    runtime_ms: Tuple[float, ...]
    power_w: Tuple[Optional[float], ...]
    energy_mj: Tuple[Optional[float], ...]
    runtime_without_power_ms: Tuple[float, ...]
    layers: Tuple[int, ...]
    layers_without_model: Tuple[int, ...]

    def __len__(self) -> int:
        return len(self.batch)

    def to_pandas(self):
        """One row a network and batch, with the network's name."""
        pandas = require_pandas()
        columns = {
            "name": [self.networks[i] for i in self.network],
            **{field: list(getattr(self, field)) for field in _BATCH_COLUMNS},
        }
        frame = pandas.DataFrame(columns)
        for column in ("power_w", "energy_mj"):
            frame[column] = frame[column].astype(float)
        return frame


_BATCH_COLUMNS = (
    "network",
    "batch",
    "runtime_ms",
    "power_w",
    "energy_mj",
    "runtime_without_power_ms",
    "layers",
    "layers_without_model",
)


def predict_many(
    networks: Iterable[Network],
    model: Optional[Model] = None,
    batches: Optional[Sequence[int]] = None,
) -> BatchPrediction:
    """Network totals (eqs. 3-5) of every network at every batch in `batches` (each at its own
    batch when None), computed in C++ from the compiled model without a Python loop and without
    the per-layer report: the call an architecture search makes. The totals equal predict()'s."""
    nets = [_network(n) for n in networks]
    batch_list = [] if batches is None else [_positive(b, "batch") for b in batches]
    columns = _core.predict_many(
        [n._core for n in nets], _model_or_default(model)._core, batch_list
    )
    return BatchPrediction(
        networks=tuple(n.name for n in nets),
        **{field: tuple(columns[field]) for field in _BATCH_COLUMNS},
    )
