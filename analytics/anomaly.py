"""Anomaly detection on analog channels and the per-elevator condition index (pure).

Two entry points:

- :func:`analyze_series` for one time series table (any named float channels, e.g. a
  CSV): per channel a robust baseline (median and MAD), robust z-scores, anomalous
  segments (runs of |z| above a threshold, short gaps bridged) and a robust trend
  (``scipy.stats.theilslopes``).
- :func:`condition_indices` for a fleet: daily values per elevator and channel as an
  (elevators x days) matrix; per elevator a baseline over the older days, the recent
  level, a robust trend (vectorised half-lag Theil-Sen: the median of the slopes between
  day i and day i + D/2), the fleet-relative level, anomalous days, and the condition
  index (0..100, 100 = healthy). The baseline is the older days, or, for a channel whose
  days have a level change point (:mod:`analytics.changepoints`, the same function as
  ``liftwatch analyze``), the days before the last change point: a shift a month ago
  then shows in the recent level instead of being half absorbed into the baseline.

Condition index formula (channels where higher is worse: vibration, door times,
leveling error, trip time)::

    level_c = clip((z_recent - 2) / 4, 0, 1)     # recent 7-day median vs own baseline
    trend_c = clip((drift_30d - 1) / 3, 0, 1)    # robust slope x 30 days, in baseline sigmas
    fleet_c = clip((z_fleet - 2) / 4, 0, 1)      # recent level vs the fleet (median/MAD)
    s_c     = max(level_c, trend_c, fleet_c)
    a       = clip(anomalous_days_30d / 10, 0, 1)
    index   = 100 * (1 - (0.5 * max_c s_c + 0.2 * mean_c s_c + 0.3 * a))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from analytics.changepoints import detect_changes, rows_with_a_change

F64 = npt.NDArray[np.float64]
MAD_SIGMA = 1.4826  # MAD of a normal distribution x this = its standard deviation


@dataclass(frozen=True)
class Baseline:
    median: float
    sigma: float  # robust: 1.4826 x MAD, floored so a flat channel does not explode


@dataclass(frozen=True)
class Segment:
    channel: str
    start_ms: int
    end_ms: int
    points: int
    peak_z: float
    direction: str  # "high" or "low"


@dataclass(frozen=True)
class ChannelReport:
    channel: str
    baseline: Baseline
    slope_per_day: float
    slope_low: float
    slope_high: float
    segments: list[Segment] = field(default_factory=list)


def _floor_sigma(sigma: F64 | float, median: F64 | float) -> Any:
    return np.maximum(sigma, np.maximum(0.02 * np.abs(median), 1e-9))


def robust_baseline(x: F64) -> Baseline:
    v = x[np.isfinite(x)]
    if v.size == 0:
        return Baseline(float("nan"), float("nan"))
    med = float(np.median(v))
    sigma = MAD_SIGMA * float(np.median(np.abs(v - med)))
    return Baseline(med, float(_floor_sigma(sigma, med)))


def robust_z(x: F64, b: Baseline) -> F64:
    return (x - b.median) / b.sigma


def ewma(x: F64, alpha: float = 0.1) -> F64:
    """Exponentially weighted moving average (NaN carried as the previous value)."""
    out = np.empty_like(x, dtype=np.float64)
    acc = float("nan")
    for i, v in enumerate(x.tolist()):
        if v == v:
            acc = v if acc != acc else alpha * v + (1 - alpha) * acc
        out[i] = acc
    return out


def segments(
    channel: str,
    ts_ms: npt.NDArray[np.int64],
    z: F64,
    threshold: float = 4.0,
    min_points: int = 3,
    max_gap: int = 2,
) -> list[Segment]:
    """Runs of |z| > threshold with at least ``min_points`` flagged points; gaps of up to
    ``max_gap`` unflagged points inside a run are bridged."""
    flagged = np.flatnonzero(np.abs(np.nan_to_num(z, nan=0.0)) > threshold)
    if flagged.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(flagged) > max_gap + 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [flagged.size - 1]])
    out: list[Segment] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        pts = flagged[s : e + 1]
        if pts.size < min_points:
            continue
        zz = z[pts]
        k = int(np.argmax(np.abs(zz)))
        out.append(
            Segment(
                channel=channel,
                start_ms=int(ts_ms[pts[0]]),
                end_ms=int(ts_ms[pts[-1]]),
                points=int(pts.size),
                peak_z=round(float(zz[k]), 2),
                direction="high" if zz[k] > 0 else "low",
            )
        )
    return out


def robust_trend(ts_ms: npt.NDArray[np.int64], x: F64, max_points: int = 400) -> tuple[float, ...]:
    """Theil-Sen slope per day with its 95 % interval (subsampled to ``max_points``)."""
    ok = np.isfinite(x)
    t = ts_ms[ok].astype(np.float64) / 86_400_000.0
    v = x[ok]
    if v.size < 3 or float(np.ptp(t)) == 0.0:
        return (0.0, 0.0, 0.0)
    if v.size > max_points:
        pick = np.linspace(0, v.size - 1, max_points).astype(np.intp)
        t, v = t[pick], v[pick]
    res = stats.theilslopes(v, t)
    return (float(res[0]), float(res[2]), float(res[3]))


def analyze_series(
    ts_ms: npt.NDArray[np.int64],
    channels: dict[str, F64],
    threshold: float = 4.0,
    min_points: int = 3,
    baseline_share: float = 1.0,
) -> list[ChannelReport]:
    """Baseline, trend and anomalous segments of each channel of one series table.

    ``baseline_share`` < 1 takes the baseline from the oldest share of the points only
    (a training period); the default uses all (median/MAD resist a minority of
    anomalies).
    """
    order = np.argsort(ts_ms, kind="stable")
    ts = ts_ms[order]
    reports: list[ChannelReport] = []
    n_base = max(1, round(ts.size * baseline_share))
    for name, raw in channels.items():
        x = np.asarray(raw, dtype=np.float64)[order]
        b = robust_baseline(x[:n_base])
        if not np.isfinite(b.median):
            continue
        z = robust_z(x, b)
        slope, lo, hi = robust_trend(ts, x)
        reports.append(
            ChannelReport(name, b, slope, lo, hi, segments(name, ts, z, threshold, min_points))
        )
    return reports


# ---- fleet condition index ----------------------------------------------------------------


@dataclass(frozen=True)
class ConditionResult:
    index: F64  # per elevator, 0..100
    anomalies_30d: npt.NDArray[np.int64]
    anomalies_90d: npt.NDArray[np.int64]
    channel_scores: dict[str, F64]  # s_c per channel and elevator, 0..1


def _nanmedian(a: F64, axis: int) -> F64:
    out = np.full(a.shape[0] if axis == 1 else a.shape[1], np.nan)
    ok = np.isfinite(a).any(axis=axis)
    if ok.any():
        sub = a[ok] if axis == 1 else a[:, ok]
        out[ok] = np.nanmedian(sub, axis=axis)
    return out


def half_lag_slopes(values: F64) -> F64:
    """Robust slope per row (per day): median of (v[i + L] - v[i]) / L with L = D // 2."""
    d = values.shape[1]
    lag = max(1, d // 2)
    if d <= lag:
        return np.zeros(values.shape[0])
    slopes = (values[:, lag:] - values[:, :-lag]) / lag
    out = _nanmedian(slopes, axis=1)
    return np.nan_to_num(out, nan=0.0)


def _older_baseline(v: F64, recent_days: int) -> tuple[F64, F64]:
    """Median and robust sigma per row over the days before the recent ones."""
    d = v.shape[1]
    older = v[:, : max(1, d - recent_days)] if d > recent_days else v
    med = _nanmedian(older, axis=1)
    mad = _nanmedian(np.abs(older - med[:, None]), axis=1)
    return med, _floor_sigma(MAD_SIGMA * np.nan_to_num(mad, nan=0.0), np.nan_to_num(med))


def shift_aware_baseline(v: F64, recent_days: int = 7) -> tuple[F64, F64]:
    """:func:`_older_baseline`, except for rows with a level change point
    (:func:`analytics.changepoints.detect_changes`, not a slow trend): their baseline is
    the segment before the last change point (at least ``recent_days`` long), so the
    recent level is compared with the level before the shift, not a mixture of both."""
    med, sigma = _older_baseline(v, recent_days)
    for i in rows_with_a_change(v).tolist():
        changes = detect_changes(v[i], min_size=3)
        if not changes.change_points or changes.trend.degradation:
            continue
        starts = [0] + [c.index for c in changes.change_points]
        before = v[i, starts[-2] : starts[-1]]
        before = before[np.isfinite(before)]
        if before.size < recent_days:
            continue
        med[i] = float(np.median(before))
        mad = float(np.median(np.abs(before - med[i])))
        sigma[i] = float(_floor_sigma(MAD_SIGMA * mad, med[i]))
    return med, sigma


def _channel_score(v: F64, recent_days: int, anomaly_z: float) -> tuple[F64, npt.NDArray[np.bool_]]:
    """s_c per elevator (0..1) and the anomalous days (daily z above ``anomaly_z``)."""
    e = v.shape[0]
    med, sigma = shift_aware_baseline(v, recent_days)
    recent = _nanmedian(v[:, -recent_days:], axis=1)
    z_level = np.nan_to_num((recent - med) / sigma, nan=0.0)
    drift = half_lag_slopes(v) * 30.0 / sigma
    fleet_med = float(np.nanmedian(recent)) if np.isfinite(recent).any() else 0.0
    fleet_mad = float(np.nanmedian(np.abs(recent - fleet_med))) if e > 1 else 0.0
    fleet_sigma = float(_floor_sigma(MAD_SIGMA * np.nan_to_num(fleet_mad), fleet_med))
    z_fleet = np.nan_to_num((recent - fleet_med) / fleet_sigma, nan=0.0)
    level_s = np.clip((z_level - 2.0) / 4.0, 0.0, 1.0)
    trend_s = np.clip((drift - 1.0) / 3.0, 0.0, 1.0)
    fleet_s = np.clip((z_fleet - 2.0) / 4.0, 0.0, 1.0)
    daily_z = (v - med[:, None]) / sigma[:, None]
    hot = np.nan_to_num(daily_z, nan=0.0) > anomaly_z
    return np.maximum(np.maximum(level_s, trend_s), fleet_s), hot


def condition_indices(
    channels: dict[str, F64],
    recent_days: int = 7,
    anomaly_z: float = 4.0,
) -> ConditionResult:
    """Condition index per elevator from daily values, ``channels[name]`` of shape
    (elevators, days), oldest day first, NaN where missing (see the module docstring)."""
    if not channels:
        raise ValueError("no channels")
    shape = next(iter(channels.values())).shape
    scores: dict[str, F64] = {}
    anomalous30 = np.zeros(shape[0], np.int64)
    anomalous90 = np.zeros(shape[0], np.int64)
    for name, raw in channels.items():
        v = np.asarray(raw, dtype=np.float64)
        if v.shape != shape:
            raise ValueError(f"channel {name}: shape {v.shape}, expected {shape}")
        scores[name], hot = _channel_score(v, recent_days, anomaly_z)
        anomalous30 = np.maximum(anomalous30, hot[:, -30:].sum(axis=1))
        anomalous90 = np.maximum(anomalous90, hot[:, -90:].sum(axis=1))
    stack = np.vstack(list(scores.values()))
    worst = stack.max(axis=0)
    mean = stack.mean(axis=0)
    a = np.clip(anomalous30 / 10.0, 0.0, 1.0)
    index = 100.0 * (1.0 - (0.5 * worst + 0.2 * mean + 0.3 * a))
    return ConditionResult(np.clip(index, 0.0, 100.0), anomalous30, anomalous90, scores)
