from __future__ import annotations

import numpy as np

from analytics.anomaly import (
    analyze_series,
    condition_indices,
    ewma,
    half_lag_slopes,
    robust_baseline,
)

DAY = 86_400_000


def test_robust_baseline_ignores_a_minority_of_outliers() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(10.0, 1.0, 1000)
    x[:50] = 1000.0
    b = robust_baseline(x)
    assert abs(b.median - 10.0) < 0.2
    assert 0.8 < b.sigma < 1.3


def test_segments_found_where_injected_and_nowhere_else() -> None:
    rng = np.random.default_rng(2)
    ts = np.arange(2000, dtype=np.int64) * 60_000
    vib = rng.normal(0.2, 0.01, 2000)
    vib[700:760] += 0.2  # a burst of high vibration
    door = rng.normal(3.0, 0.1, 2000)
    door[1500] = 6.0  # a single spike: below min_points, not a segment
    reports = {r.channel: r for r in analyze_series(ts, {"vibration": vib, "door_s": door})}
    segs = reports["vibration"].segments
    assert len(segs) == 1
    assert segs[0].start_ms == ts[700]
    assert segs[0].end_ms == ts[759]
    assert segs[0].direction == "high"
    assert segs[0].peak_z > 4
    assert reports["door_s"].segments == []


def test_trend_is_robust_to_outliers() -> None:
    rng = np.random.default_rng(3)
    ts = np.arange(200, dtype=np.int64) * DAY
    x = 1.0 + 0.01 * np.arange(200) + rng.normal(0, 0.002, 200)
    x[::20] = 50.0
    (r,) = analyze_series(ts, {"leveling": x})
    assert abs(r.slope_per_day - 0.01) < 0.001
    assert r.slope_low <= r.slope_per_day <= r.slope_high


def test_ewma_and_half_lag_slope() -> None:
    assert ewma(np.array([1.0, np.nan, 3.0]), alpha=0.5).tolist() == [1.0, 1.0, 2.0]
    rows = np.vstack([np.arange(10.0) * 2.0, np.full(10, 5.0)])
    assert half_lag_slopes(rows).tolist() == [2.0, 0.0]


def test_condition_index_healthy_vs_degrading_vs_outlier() -> None:
    rng = np.random.default_rng(4)
    e, d = 200, 90
    vib = rng.normal(0.2, 0.01, (e, d))
    lev = rng.normal(3.0, 0.2, (e, d))
    vib[0] += np.linspace(0, 0.15, d)  # degrading over the period
    lev[1, -7:] += 3.0  # recent jump in leveling error
    vib[2] += 0.3  # always far above the fleet
    lev[3, 10:15] = np.nan  # missing days are tolerated
    res = condition_indices({"vibration": vib, "leveling": lev})
    healthy = np.delete(res.index, [0, 1, 2])
    assert np.median(healthy) > 95
    assert res.index[0] < 70
    assert res.index[1] < 70
    assert res.index[2] < 80
    assert res.anomalies_30d[1] >= 7
    assert res.anomalies_30d[5] == 0
    assert res.anomalies_90d[0] >= res.anomalies_30d[0]
    assert ((res.index >= 0) & (res.index <= 100)).all()
