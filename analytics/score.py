"""The Guangzhou "3+2" maintenance score, vectorised over the whole fleet (pure numpy).

Five factor scores (:mod:`analytics.score_factors`), each 0 (worst) .. 100 (best): the
elevator's age, its maintenance company's technical level, its user unit's management
level, the company's credit score, and AI monitoring of the elevator's actual condition.
The total is their weighted mean (weights normalised to sum 1); a high total means a low
risk. Grades A/B/C/D come from the configured bands.

Explanation: with ``ref`` the fleet mean of each factor in this computation (the "city
average elevator") and ``w`` the normalised weights, each factor's contribution is
``w_i * (factor_i - ref_i)`` and ``baseline = sum(w_i * ref_i)``, so that exactly
``total = baseline + sum(contributions)``: a contribution says how many points that
factor moves this elevator away from the city average.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.score_factors import (
    BUILDING_TYPES,
    FACTORS,
    NEUTRAL,
    ScoreInputs,
    age_factor,
    blend,
    factor_matrix,
    relative_rate_score,
    set_company_factor,
)

# The factor names other modules import from here, besides this module's own.
__all__ = [
    "BUILDING_TYPES",
    "FACTORS",
    "GRADES",
    "NEUTRAL",
    "ScoreInputs",
    "ScoreResult",
    "age_factor",
    "blend",
    "factor_matrix",
    "grades",
    "normalise_weights",
    "relative_rate_score",
    "score",
    "scored",
    "set_company_factor",
]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

GRADES: tuple[str, ...] = ("A", "B", "C", "D")


@dataclass(frozen=True)
class ScoreResult:
    factors: Floats  # (n, 5) in FACTORS order
    total: Floats  # (n,)
    grade: Ints  # (n,) index into GRADES
    contributions: Floats  # (n, 5), rows sum to total - baseline
    reference: Floats  # (5,) fleet-mean factors the contributions are measured from
    baseline: float  # weights . reference
    weights: Floats  # (5,) normalised

    def grade_letters(self) -> NDArray[np.str_]:
        return np.asarray(GRADES)[self.grade]


def normalise_weights(weights: Sequence[float]) -> Floats:
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (len(FACTORS),) or np.any(w < 0) or not np.isfinite(w).all():
        raise ValueError(f"need {len(FACTORS)} finite non-negative weights, got {weights!r}")
    total = float(w.sum())
    if total <= 0:
        raise ValueError("weights must have a positive sum")
    out: Floats = w / total
    return out


def grades(total: Floats, bands: Sequence[float]) -> Ints:
    """0 = A (total >= bands[0]), 1 = B, 2 = C, 3 = D."""
    a, b, c = (float(v) for v in bands)
    out = (total < a).astype(np.int64)
    out += total < b
    out += total < c
    return out


def score(x: ScoreInputs, weights: Sequence[float], bands: Sequence[float]) -> ScoreResult:
    """Score the fleet: factors, weighted total, grade and additive explanation."""
    return scored(factor_matrix(x), normalise_weights(weights), bands)


def scored(factors: Floats, w: Floats, bands: Sequence[float]) -> ScoreResult:
    """Total, grade and explanation from the (finite) factor matrix and normalised weights."""
    n = factors.shape[0]
    total = factors @ w
    reference = factors.mean(axis=0) if n else np.full(len(FACTORS), NEUTRAL)
    contributions = np.empty_like(factors, order="F")
    for i in range(len(FACTORS)):  # a column at a time: contiguous passes
        np.subtract(factors[:, i], reference[i], out=contributions[:, i])
        contributions[:, i] *= w[i]
    return ScoreResult(
        factors=factors,
        total=total,
        grade=grades(total, bands),
        contributions=contributions,
        reference=reference,
        baseline=float(reference @ w),
        weights=w,
    )
