"""Change points in level and variance, and slow degradation, of one channel (pure).

:func:`detect_changes` is the one entry point (``liftwatch analyze`` and the fleet
condition index both call it):

1. **Reduce**: the valid (finite) values are averaged in blocks of ``b`` points so that at
   most ``max_blocks`` remain (``b = 1`` for shorter series). A change of level or of
   variance of the raw points is one of the block means too (variance / b, same ratio).
2. **Standardise** (scale-free): divide by the robust noise scale
   ``1.4826 * MAD(diff(y)) / sqrt(2)`` (first differences cancel the level shifts
   themselves) and pull each point back to within 4 noise scales of the nearer of the
   medians of its 3 left and its 3 right neighbours: an isolated spike is no variance
   change, and a block that straddles a level shift (half old, half new level) does not
   become a short segment of its own.
3. **Segment** with ``ruptures.Pelt`` and a Gaussian cost (mean and variance of each
   segment: ``len * log(var)``, which is -2 log-likelihood up to a constant; computed
   from cumulative sums, so O(1) per segment). The penalty per change point is
   BIC-like, ``pen = penalty_factor * log(m)`` on the ``m`` blocks with
   ``penalty_factor = 4`` (mean, variance and location make 3; one more for autocorrelated
   real data). ``min_size`` is 1 % of the blocks (at least 3).
4. **Trend** (slow degradation): Mann-Kendall (Kendall's tau of the values against their
   position, ``scipy.stats.kendalltau``) and the Theil-Sen slope. A trend counts as
   degradation only when it is significant (p < 0.001) **and** the model "linear trend +
   steps" has a lower penalised cost than "steps only" (one more penalty for the slope),
   so a staircase of level shifts is not called a trend and a ramp is not called a
   staircase of change points.

A change point found between block means is moved to the best split of the raw values
within one block of it. Each change point is reported at its index in the input array
(the first point of the new segment) with the mean and standard deviation of the raw
valid values before and after it (between the neighbouring change points).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import ruptures
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

F64 = npt.NDArray[np.float64]
MAD_SIGMA = 1.4826
PENALTY_FACTOR = 4.0
MAX_BLOCKS = 500
TREND_P = 0.001
SPIKE_SCALES = 4.0
SPIKE_NEIGHBOURS = 3
SCREEN_SHARE = 1.0  # of a penalty: what one change point must gain for PELT to keep it
VAR_FLOOR = 1e-4  # in squared noise scales: a flat segment is not minus infinity


@dataclass(frozen=True)
class Level:
    mean: float
    std: float


@dataclass(frozen=True)
class ChangePoint:
    index: int  # position in the input array: the first point of the new segment
    before: Level
    after: Level
    kind: str  # "level", "variance" or "level+variance"


@dataclass(frozen=True)
class Trend:
    slope: float  # per point (per position in the input array)
    start: float  # Theil-Sen line at the first valid point
    end: float  # ... and at the last
    relative_change: float  # (end - start) / |start|, NaN when start is 0
    p_value: float  # Mann-Kendall
    degradation: bool  # significant and a better model than steps alone
    direction: str  # "rising", "falling" or "none"


@dataclass(frozen=True)
class ChangeAnalysis:
    valid: int  # finite values analysed
    change_points: list[ChangePoint]
    trend: Trend
    penalty: float
    block: int  # points averaged per block


class GaussianCost(ruptures.base.BaseCost):  # type: ignore[misc]  # untyped base class
    """-2 log-likelihood of a Gaussian segment (own mean and variance), O(1) per call."""

    model = "gaussian_cumsum"
    min_size = 2

    def fit(self, signal: F64) -> GaussianCost:
        x = np.asarray(signal, dtype=np.float64).reshape(-1)
        self.signal = x.reshape(-1, 1)
        self.sum1 = np.concatenate([[0.0], np.cumsum(x)])
        self.sum2 = np.concatenate([[0.0], np.cumsum(x * x)])
        return self

    def error(self, start: int, end: int) -> float:
        n = end - start
        mean = (self.sum1[end] - self.sum1[start]) / n
        var = (self.sum2[end] - self.sum2[start]) / n - mean * mean
        return float(n * math.log(max(var, VAR_FLOOR)))

    def total(self, breakpoints: list[int]) -> float:
        edges = [0, *breakpoints]
        return sum(self.error(a, b) for a, b in itertools.pairwise(edges))


def _blocks(v: F64, max_blocks: int) -> tuple[F64, int]:
    b = max(1, math.ceil(v.size / max_blocks))
    m = v.size // b
    head = v[: m * b].reshape(m, b).mean(axis=1)
    if v.size > m * b:  # the remainder is one more (shorter) block
        head = np.append(head, v[m * b :].mean())
    return head, b


def _standardise(y: F64) -> F64:
    """Divide by the robust noise scale and pull isolated spikes back (step 2)."""
    d = np.diff(y)
    scale = MAD_SIGMA * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2.0)
    if not scale > 0:
        scale = float(np.std(d)) / math.sqrt(2.0) or 1.0
    z = (y - float(np.median(y))) / scale
    k = SPIKE_NEIGHBOURS
    windows = sliding_window_view(np.pad(z, k, mode="reflect"), k)
    left = np.median(windows[: z.size], axis=1)  # z[i - k : i]
    right = np.median(windows[k + 1 : k + 1 + z.size], axis=1)  # z[i + 1 : i + k + 1]
    near = np.where(np.abs(z - left) < np.abs(z - right), left, right)
    return np.clip(z, near - SPIKE_SCALES, near + SPIKE_SCALES)


def _segment(z: F64, pen: float, min_size: int) -> tuple[list[int], float]:
    """Breakpoints (ends of segments, the last = len) and the penalised cost."""
    cost = GaussianCost()
    algo = ruptures.Pelt(custom_cost=cost, min_size=min_size, jump=1).fit(z)
    bkps = [int(b) for b in algo.predict(pen=pen)]
    return bkps, cost.total(bkps) + pen * (len(bkps) - 1)


def _refine(values: F64, starts: list[int], block: int) -> list[int]:
    """Move each change point found on block means to the best split of the raw values
    within one block of it (same Gaussian cost), so it is exact to the point."""
    if block == 1 or not starts:
        return starts
    cost = GaussianCost().fit(values / (float(np.std(values)) or 1.0))
    edges = [0, *starts, values.size]
    for k in range(1, len(edges) - 1):
        low = max(edges[k - 1] + 2, edges[k] - block)
        high = min(edges[k + 1] - 2, edges[k] + block)
        if low < high:
            candidates = range(low, high + 1)
            split = [cost.error(edges[k - 1], c) + cost.error(c, edges[k + 1]) for c in candidates]
            edges[k] = candidates[int(np.argmin(split))]
    return edges[1:-1]


def _level(v: F64) -> Level:
    return Level(float(np.mean(v)), float(np.std(v)))


def _kind(before: Level, after: Level) -> str:
    pooled = math.sqrt((before.std**2 + after.std**2) / 2.0)
    level = abs(after.mean - before.mean) > 0.5 * pooled if pooled > 0 else True
    low, high = sorted((before.std, after.std))
    variance = high > 1.5 * low
    if level and variance:
        return "level+variance"
    return "variance" if variance else "level"


def _report(values: F64, positions: npt.NDArray[np.intp], starts: list[int]) -> list[ChangePoint]:
    """Change points at valid-value indices ``starts`` with the raw levels around them."""
    edges = [0, *starts, values.size]
    out = []
    for k, s in enumerate(starts):
        before = _level(values[edges[k] : s])
        after = _level(values[s : edges[k + 2]])
        out.append(ChangePoint(int(positions[s]), before, after, _kind(before, after)))
    return out


def _trend(y: F64, positions: npt.NDArray[np.intp], degradation: bool, p: float) -> Trend:
    t = np.arange(y.size, dtype=np.float64)
    slope_block, intercept = stats.theilslopes(y, t)[:2]
    start = float(intercept)
    end = float(intercept + slope_block * (y.size - 1))
    span = float(positions[-1] - positions[0]) or 1.0
    slope = (end - start) / span
    relative = (end - start) / abs(start) if start != 0 else math.nan
    direction = "none" if not degradation else ("rising" if end > start else "falling")
    return Trend(slope, start, end, relative, p, degradation, direction)


def detect_changes(
    x: F64,
    penalty_factor: float = PENALTY_FACTOR,
    min_size: int | None = None,
    max_blocks: int = MAX_BLOCKS,
) -> ChangeAnalysis:
    """Change points and slow degradation of ``x`` (NaN = missing; see the module doc)."""
    raw = np.asarray(x, dtype=np.float64)
    positions = np.flatnonzero(np.isfinite(raw))
    values = raw[positions]
    none = Trend(0.0, math.nan, math.nan, math.nan, 1.0, False, "none")
    if values.size < 8:
        return ChangeAnalysis(int(values.size), [], none, math.nan, 1)
    y, block = _blocks(values, max_blocks)
    z = _standardise(y)
    m = z.size
    pen = penalty_factor * math.log(m)
    size = max(3, min_size // block if min_size else math.ceil(0.01 * m))
    size = min(size, max(2, m // 3))
    bkps, cost = _segment(z, pen, size)
    tau = stats.kendalltau(np.arange(m), z)
    p = float(tau.pvalue) if np.isfinite(tau.pvalue) else 1.0
    degradation = False
    if p < TREND_P:
        t = np.arange(m, dtype=np.float64)
        slope, intercept = stats.theilslopes(z, t)[:2]
        trend_bkps, trend_cost = _segment(z - (intercept + slope * t), pen, size)
        if trend_cost + pen < cost:
            bkps, degradation = trend_bkps, True
    starts = _refine(values, [min(b * block, values.size - 1) for b in bkps[:-1]], block)
    return ChangeAnalysis(
        int(values.size),
        _report(values, positions, starts),
        _trend(y, positions, degradation, p),
        pen,
        block,
    )


def rows_with_a_change(
    rows: F64, penalty_factor: float = PENALTY_FACTOR, min_size: int = 3
) -> npt.NDArray[np.intp]:
    """Indices of the rows of ``rows`` (one series per row, NaN = missing) worth a full
    :func:`detect_changes`: a vectorised screen with the same Gaussian cost, the best
    single split gaining more than a penalty (missing values filled with the row's
    median). Rows that pass may still have no change point; rows that fail have none."""
    n = rows.shape[1]
    if n < 2 * min_size + 2:
        return np.empty(0, np.intp)
    finite = np.isfinite(rows)
    has_any = finite.any(axis=1)
    medians = np.zeros(rows.shape[0])
    medians[has_any] = np.nanmedian(rows[has_any], axis=1)
    filled = np.where(finite, rows, medians[:, None])
    filled = filled - medians[:, None]
    sum1 = np.cumsum(filled, axis=1)
    sum2 = np.cumsum(filled * filled, axis=1)
    total_var = sum2[:, -1] / n - (sum1[:, -1] / n) ** 2
    floor = VAR_FLOOR * total_var + 1e-300
    k = np.arange(min_size, n - min_size + 1)
    left1, left2 = sum1[:, k - 1], sum2[:, k - 1]
    right1, right2 = sum1[:, -1:] - left1, sum2[:, -1:] - left2
    var_left = np.maximum(left2 / k - (left1 / k) ** 2, floor[:, None])
    var_right = np.maximum(right2 / (n - k) - (right1 / (n - k)) ** 2, floor[:, None])
    whole = n * np.log(np.maximum(total_var, floor))
    gain = whole[:, None] - k * np.log(var_left) - (n - k) * np.log(var_right)
    pen = penalty_factor * math.log(n)
    return np.flatnonzero(has_any & (gain.max(axis=1) > SCREEN_SHARE * pen))
