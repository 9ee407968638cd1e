"""Energy-Precision Ratio (paper section 4.3, eq. 9): M = Error^alpha x EPI per candidate, ranked
per alpha (lower is better), as `neuralpower epr` computes it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence, Tuple, Union

from . import _core
from ._pandas import require_pandas
from .network import Network
from .prediction import Model, _model_or_default, predict


@dataclass(frozen=True)
class EprCandidate:
    name: str
    error: float  # classification error, a fraction in [0, 1]
    epi_mj: float  # energy per classified item, mJ


@dataclass(frozen=True)
class EprScore:
    alpha: float
    m: Tuple[float, ...]  # per candidate, in the candidates' order
    ranks: Tuple[int, ...]  # 1 = best (lowest M)


@dataclass(frozen=True)
class EprResult:
    candidates: Tuple[EprCandidate, ...]
    scores: Tuple[EprScore, ...]  # one per alpha

    def score(self, alpha: float) -> EprScore:
        for score in self.scores:
            if score.alpha == alpha:
                return score
        raise KeyError(f"no score for alpha {alpha}: computed for {[s.alpha for s in self.scores]}")

    def best(self, alpha: float) -> str:
        """The candidate ranked first for this alpha."""
        score = self.score(alpha)
        return self.candidates[score.ranks.index(1)].name

    def ranking(self, alpha: float) -> Tuple[Tuple[int, str, float], ...]:
        """(rank, name, M) from the best down."""
        score = self.score(alpha)
        rows = [(rank, c.name, m) for c, m, rank in zip(self.candidates, score.m, score.ranks)]
        return tuple(sorted(rows))

    def to_pandas(self):
        """One row a candidate: name, error, epi_mj, then m_<alpha> and rank_<alpha> per alpha."""
        pandas = require_pandas()
        rows = []
        for i, c in enumerate(self.candidates):
            row = {"name": c.name, "error": c.error, "epi_mj": c.epi_mj}
            for s in self.scores:
                row[f"m_{s.alpha:g}"] = s.m[i]
                row[f"rank_{s.alpha:g}"] = s.ranks[i]
            rows.append(row)
        return pandas.DataFrame(rows)


CandidateLike = Union[
    EprCandidate, Tuple[str, Union[str, float], float], Tuple[Network, Union[str, float]]
]


def _error_rate(error) -> float:
    if isinstance(error, str):
        return _core.parse_error_rate(error)
    if isinstance(error, bool) or not isinstance(error, (int, float)):
        raise TypeError(f"an error rate is a fraction or a string like '7.3%', got {error!r}")
    return _core.parse_error_rate(repr(float(error)))


def _candidate(candidate, model: Optional[Model]) -> EprCandidate:
    if isinstance(candidate, EprCandidate):
        name, error, epi = candidate.name, candidate.error, candidate.epi_mj
    elif len(candidate) == 2 and isinstance(candidate[0], Network):
        network, error = candidate
        p = predict(network, _model_or_default(model))
        if p.energy_per_item_mj is None:
            raise _core.Error(
                f"the model cannot predict the energy of '{network.name}' "
                "(layers without a power prediction): EPI unknown"
            )
        name, epi = network.name, p.energy_per_item_mj
    elif len(candidate) == 3:
        name, error, epi = candidate
    else:
        raise TypeError(
            "a candidate is (name, error, epi_mj), (network, error) or an EprCandidate, "
            f"got {candidate!r}"
        )
    epi = float(epi)
    if not math.isfinite(epi) or epi <= 0:
        raise _core.Error(f"candidate '{name}': epi_mj must be a positive number, got {epi}")
    return EprCandidate(str(name), _error_rate(error), epi)


def epr(
    candidates: Iterable[CandidateLike],
    alphas: Optional[Sequence[float]] = None,
    *,
    model: Optional[Model] = None,
) -> EprResult:
    """Ranks candidates by M = Error^alpha x EPI for each alpha (default 1, 2, 3, 4). A candidate
    is (name, error, epi_mj) with the error as a fraction or "7.3%", or (network, error): then
    EPI is the network's predicted energy divided by its batch (the model must give every
    layer's power), as `neuralpower epr NET=ERROR --model M` does."""
    rows = [_candidate(c, model) for c in candidates]
    if not rows:
        raise _core.Error("no candidates")
    alpha_list = list(_core.default_alphas() if alphas is None else alphas)
    scores = _core.energy_precision_ratio([(c.name, c.error, c.epi_mj) for c in rows], alpha_list)
    return EprResult(
        candidates=tuple(rows),
        scores=tuple(EprScore(s["alpha"], tuple(s["m"]), tuple(s["ranks"])) for s in scores),
    )
