from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.anomaly import condition_indices
from analytics.changepoints import detect_changes, rows_with_a_change

SHIFTS = (1800, 4000, 6100, 8300)
LEVELS = (20.0, 23.0, 19.0, 22.0, 20.5)


def _steps(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    edges = [0, *(s * n // 10_000 for s in SHIFTS), n]
    for level, a, b in zip(LEVELS, edges[:-1], edges[1:], strict=True):
        x[a:b] = rng.normal(level, 1.0, b - a)
    return x


@pytest.mark.parametrize(("n", "seed"), [(1000, 1), (10_000, 2), (100_000, 3)])
def test_four_level_shifts_found_within_two_percent(n: int, seed: int) -> None:
    res = detect_changes(_steps(n, seed))
    found = [c.index for c in res.change_points]
    assert len(found) == 4, found
    for truth, got in zip((s * n // 10_000 for s in SHIFTS), found, strict=True):
        assert abs(got - truth) <= 0.02 * n
    first = res.change_points[0]
    assert first.kind == "level"
    assert abs(first.before.mean - 20.0) < 0.2
    assert abs(first.after.mean - 23.0) < 0.2
    assert 0.8 < first.before.std < 1.2
    assert 0.8 < first.after.std < 1.2
    assert not res.trend.degradation


def test_scale_and_offset_do_not_change_the_answer() -> None:
    x = _steps(5000, 4)
    base = [c.index for c in detect_changes(x).change_points]
    assert [c.index for c in detect_changes(1e-3 * x + 7.0).change_points] == base
    assert [c.index for c in detect_changes(5e4 * x - 3.0).change_points] == base


def test_a_variance_change_is_found_as_such() -> None:
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(5.0, 1.0, 3000), rng.normal(5.0, 3.0, 3000)])
    (c,) = detect_changes(x).change_points
    assert abs(c.index - 3000) <= 0.02 * x.size
    assert c.kind == "variance"
    assert c.after.std / c.before.std > 2.5


def test_a_sixty_percent_monotone_decline_is_degradation_not_steps() -> None:
    rng = np.random.default_rng(6)
    n = 8000
    x = 10.0 * np.linspace(1.0, 0.4, n) + rng.normal(0.0, 0.5, n)
    res = detect_changes(x)
    assert res.trend.degradation
    assert res.trend.direction == "falling"
    assert res.trend.relative_change == pytest.approx(-0.6, abs=0.05)
    assert res.change_points == []


@pytest.mark.parametrize("n", [50, 300, 2000, 20_000, 100_000])
def test_noise_alone_gives_no_change_point(n: int) -> None:
    for seed in range(5):
        rng = np.random.default_rng(100 + seed)
        res = detect_changes(rng.normal(3.0, 0.2, n))
        assert res.change_points == []
        assert not res.trend.degradation


def test_spikes_are_no_change_points() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(0.2, 0.01, 5000)
    x[::250] = 5.0
    assert detect_changes(x).change_points == []


def test_missing_values_are_skipped_and_indices_stay_those_of_the_input() -> None:
    x = _steps(4000, 8)
    x[::7] = np.nan
    res = detect_changes(x)
    assert res.valid == int(np.isfinite(x).sum())
    for truth, c in zip((s * 4000 // 10_000 for s in SHIFTS), res.change_points, strict=True):
        assert abs(c.index - truth) <= 0.02 * x.size


def test_too_short_or_empty_series_give_nothing() -> None:
    for x in (np.array([]), np.full(5, np.nan), np.array([1.0, 2.0, 3.0])):
        res = detect_changes(x)
        assert res.change_points == []
        assert not res.trend.degradation
        assert math.isnan(res.trend.start)


def test_screen_passes_rows_with_a_shift_and_few_noise_rows() -> None:
    rng = np.random.default_rng(9)
    rows = rng.normal(0.2, 0.01, (1000, 90))
    rows[:5, 60:] += 0.05
    rows[5:8, 20:30] = np.nan
    picked = rows_with_a_change(rows)
    assert set(range(5)) <= set(picked.tolist())
    assert picked.size < 100  # the full PELT runs on few rows


def test_a_level_shift_in_daily_values_shows_in_the_condition_index() -> None:
    rng = np.random.default_rng(10)
    levels = rng.uniform(0.1, 0.3, 200)  # each elevator its own level: no fleet outlier
    levels[0] = 0.15
    vibration = rng.normal(levels[:, None], 0.01, (200, 90))
    vibration[0, 50:] += 0.05  # a shift 40 days ago: the older days mix both levels
    res = condition_indices({"vibration": vibration})
    assert res.anomalies_30d[0] >= 25  # the days after the shift, against the level before
    assert res.index[0] < 50  # (the median of the older days alone gave about 90)
    assert np.median(np.delete(res.index, 0)) > 95
