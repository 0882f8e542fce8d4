"""The 3+2 score: every factor, the weighted total, grades and the explanation."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from analytics import score as sc
from analytics.score import ScoreInputs
from analytics.score_factors import user_unit_factor
from domain.fleet import BuildingType

WEIGHTS = (0.2, 0.2, 0.15, 0.15, 0.3)
BANDS = (85.0, 70.0, 55.0)


def inputs(n: int = 1, /, **overrides: Any) -> ScoreInputs:
    """A healthy, well-run elevator; overrides are scalars or arrays."""
    base: dict[str, Any] = {
        "age_years": 2.0,
        "building_type": 0,
        "tech_level": 5.0,
        "elevators_per_technician": 20.0,
        "company_fault_rate": 0.1,
        "company_entrapment_rate": 0.01,
        "on_time_rate": 1.0,
        "mean_arrival_min": 8.0,
        "management_level": 5.0,
        "safety_manager": True,
        "complaints": 0.0,
        "misuse_90d": 0.0,
        "inspection_valid": True,
        "credit_grade": 0,
        "credit_score": 95.0,
        "faults_30d": 0.0,
        "faults_90d": 0.0,
        "entrapments_30d": 0.0,
        "entrapments_90d": 0.0,
        "anomalies_30d": 0.0,
        "anomalies_90d": 0.0,
        "condition_index": 95.0,
        "online_rate": 1.0,
        "checks_completion": np.nan,  # the unit keeps no records: its registered level
    }
    base.update(overrides)
    fields = {f.name: f.type for f in dataclasses.fields(ScoreInputs)}
    out: dict[str, Any] = {}
    for name in fields:
        if name == "company":  # optional, per elevator: the tests set it themselves
            continue
        v = np.asarray(base[name])
        if v.ndim == 0:
            v = np.full(n, v)
        if name in ("building_type", "credit_grade"):
            v = v.astype(np.int64)
        elif name in ("safety_manager", "inspection_valid"):
            v = v.astype(bool)
        else:
            v = v.astype(np.float64)
        out[name] = v
    return ScoreInputs(**out)


def factor(x: ScoreInputs, name: str) -> np.ndarray:
    return sc.factor_matrix(x)[:, sc.FACTORS.index(name)]


def test_age_declines_with_years_and_faster_in_busy_buildings() -> None:
    years = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0])
    res = sc.age_factor(years, np.zeros(7, dtype=np.int64))
    assert list(res) == [100.0, 95.0, 80.0, 60.0, 35.0, 0.0, 0.0]
    metro = list(sc.BUILDING_TYPES).index(BuildingType.METRO)
    home, busy = sc.age_factor(np.array([10.0, 10.0]), np.array([0, metro]))
    assert busy < home
    # unknown building type: calendar years
    assert sc.age_factor(np.array([10.0]), np.array([-1]))[0] == 80.0


def test_company_factor_responds_to_each_input() -> None:
    good = factor(inputs(), "company")[0]
    for change in (
        {"tech_level": 1.0},
        {"elevators_per_technician": 60.0},
        {"elevators_per_technician": np.inf},
        {"on_time_rate": 0.85},
        {"mean_arrival_min": 24.0},
    ):
        assert factor(inputs(**change), "company")[0] < good, change
    # fault and entrapment rates are judged against the fleet mean
    x = inputs(2, company_fault_rate=np.array([0.1, 1.0]))
    f = factor(x, "company")
    assert f[1] < f[0]
    x = inputs(2, company_entrapment_rate=np.array([0.0, 0.5]))
    f = factor(x, "company")
    assert f[1] < f[0]


def test_relative_rate_is_half_at_the_reference() -> None:
    r = sc.relative_rate_score(np.array([0.0, 0.4, 0.8]), 0.4)
    assert r == pytest.approx([100.0, 50.0, 25.0])


def test_unknown_company_inputs_are_left_out_not_penalised() -> None:
    perfect: dict[str, Any] = {"company_fault_rate": 0.0, "company_entrapment_rate": 0.0}
    known = factor(inputs(on_time_rate=1.0, mean_arrival_min=8.0, **perfect), "company")[0]
    unknown = factor(inputs(on_time_rate=np.nan, mean_arrival_min=np.nan, **perfect), "company")[0]
    # the remaining sub-scores are all near-perfect: unknown must not drag towards 50
    assert unknown > 85.0
    assert abs(unknown - known) < 10.0


def test_user_unit_factor_responds_to_each_input() -> None:
    good = factor(inputs(), "user_unit")[0]
    assert good == pytest.approx(100.0)
    for change in (
        {"management_level": 2.0},
        {"management_level": np.nan},
        {"safety_manager": False},
        {"complaints": 4.0},
        {"misuse_90d": 5.0},
        {"inspection_valid": False},
    ):
        assert factor(inputs(**change), "user_unit")[0] < good, change
    # an unidentified unit scores below the lowest registered level
    none = factor(inputs(management_level=np.nan), "user_unit")[0]
    lowest = factor(inputs(management_level=1.0), "user_unit")[0]
    assert none <= lowest


def test_credit_factor_from_grade_and_score() -> None:
    x = inputs(3, credit_grade=np.array([0, 1, 2]), credit_score=np.array([90.0, 90.0, 90.0]))
    a, b, c = factor(x, "credit")
    assert a > b > c
    assert a == pytest.approx(0.5 * 100 + 0.5 * 90)
    lo = factor(inputs(credit_score=40.0), "credit")[0]
    assert lo < a


def test_monitoring_factor_recent_events_weigh_more() -> None:
    clean = factor(inputs(), "monitoring")[0]
    recent = factor(inputs(faults_30d=2.0, faults_90d=2.0), "monitoring")[0]
    older = factor(inputs(faults_30d=0.0, faults_90d=2.0), "monitoring")[0]
    assert clean > older > recent
    fault = factor(inputs(faults_30d=1.0, faults_90d=1.0), "monitoring")[0]
    entrapment = factor(inputs(entrapments_30d=1.0, entrapments_90d=1.0), "monitoring")[0]
    anomaly = factor(inputs(anomalies_30d=1.0, anomalies_90d=1.0), "monitoring")[0]
    assert entrapment < fault < anomaly < clean
    assert factor(inputs(condition_index=30.0), "monitoring")[0] < clean
    assert factor(inputs(online_rate=0.2), "monitoring")[0] < clean


def test_monitoring_unknown_condition_and_anomalies() -> None:
    x = inputs(condition_index=np.nan, anomalies_30d=np.nan, anomalies_90d=np.nan)
    f = factor(x, "monitoring")[0]
    assert np.isfinite(f)
    assert f > 90.0


def test_blend_all_unknown_is_neutral() -> None:
    out = sc.blend([(1.0, np.array([np.nan])), (2.0, np.array([np.nan]))], 1)
    assert out[0] == sc.NEUTRAL


def test_weights_are_normalised_and_validated() -> None:
    assert sc.normalise_weights((2, 2, 2, 2, 2)) == pytest.approx([0.2] * 5)
    x = inputs(2, age_years=np.array([1.0, 25.0]))
    a = sc.score(x, (1, 1, 1, 1, 1), BANDS)
    b = sc.score(x, (3, 3, 3, 3, 3), BANDS)
    assert a.total == pytest.approx(b.total)
    for bad in ((0, 0, 0, 0, 0), (1, -1, 1, 1, 1), (1, 1, 1, 1), (1, 1, 1, 1, float("nan"))):
        with pytest.raises(ValueError):
            sc.normalise_weights(bad)


def test_total_is_weighted_mean_of_factors() -> None:
    x = inputs(3, age_years=np.array([1.0, 12.0, 28.0]), complaints=np.array([0.0, 2.0, 9.0]))
    res = sc.score(x, WEIGHTS, BANDS)
    w = np.array(WEIGHTS) / sum(WEIGHTS)
    assert res.total == pytest.approx(res.factors @ w)
    assert ((res.factors >= 0) & (res.factors <= 100)).all()
    # only the age weight: the total is the age factor
    only_age = sc.score(x, (1, 0, 0, 0, 0), BANDS)
    assert only_age.total == pytest.approx(res.factors[:, 0])


def test_explanation_is_additive() -> None:
    rng = np.random.default_rng(3)
    n = 500
    x = inputs(
        n,
        age_years=rng.uniform(0, 35, n),
        tech_level=rng.integers(1, 6, n).astype(float),
        faults_30d=rng.poisson(0.5, n).astype(float),
        faults_90d=rng.poisson(1.5, n).astype(float) + 1,
        complaints=rng.poisson(1.0, n).astype(float),
        condition_index=rng.uniform(20, 100, n),
        credit_grade=rng.integers(0, 3, n),
    )
    res = sc.score(x, WEIGHTS, BANDS)
    assert res.contributions.sum(axis=1) == pytest.approx(res.total - res.baseline, abs=1e-9)
    assert res.baseline == pytest.approx(res.total.mean())
    # a factor better than the fleet mean contributes positively
    i = int(np.argmax(res.factors[:, 0]))
    assert res.contributions[i, 0] > 0


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (100.0, "A"),
        (85.0, "A"),
        (84.99, "B"),
        (70.0, "B"),
        (69.9, "C"),
        (55.0, "C"),
        (54.9, "D"),
        (0.0, "D"),
    ],
)
def test_grade_bands_boundaries(total: float, grade: str) -> None:
    g = sc.grades(np.array([total]), BANDS)
    assert sc.GRADES[int(g[0])] == grade


def test_grades_follow_configured_bands() -> None:
    x = inputs()
    strict = sc.score(x, WEIGHTS, (99.0, 98.0, 97.0))
    loose = sc.score(x, WEIGHTS, (10.0, 5.0, 1.0))
    assert strict.grade_letters()[0] in "CD"
    assert loose.grade_letters()[0] == "A"


def test_risky_elevator_grades_below_healthy_one() -> None:
    x = inputs(
        2,
        age_years=np.array([2.0, 27.0]),
        tech_level=np.array([5.0, 1.0]),
        management_level=np.array([5.0, 1.0]),
        credit_grade=np.array([0, 2]),
        credit_score=np.array([95.0, 40.0]),
        faults_30d=np.array([0.0, 3.0]),
        faults_90d=np.array([0.0, 6.0]),
        entrapments_30d=np.array([0.0, 1.0]),
        entrapments_90d=np.array([0.0, 1.0]),
        condition_index=np.array([95.0, 35.0]),
    )
    res = sc.score(x, WEIGHTS, BANDS)
    assert list(res.grade_letters()) == ["A", "D"]


def test_empty_fleet() -> None:
    res = sc.score(inputs(0), WEIGHTS, BANDS)
    assert res.total.shape == (0,)
    assert res.factors.shape == (0, 5)


def test_replacing_the_company_factor_equals_a_full_score() -> None:
    rng = np.random.default_rng(5)
    base = inputs(50, on_time_rate=np.full(50, np.nan), age_years=rng.uniform(0, 30, 50))
    first = sc.score(base, [0.15, 0.2, 0.2, 0.1, 0.35], [85, 70, 55])
    changed = dataclasses.replace(base, on_time_rate=rng.uniform(0.7, 1.0, 50))
    full = sc.score(changed, [0.15, 0.2, 0.2, 0.1, 0.35], [85, 70, 55])
    factors = sc.factor_matrix(base)
    sc.set_company_factor(factors, changed)
    fast = sc.scored(factors, sc.normalise_weights([0.15, 0.2, 0.2, 0.1, 0.35]), [85, 70, 55])
    assert not np.allclose(first.total, full.total)
    np.testing.assert_allclose(fast.factors, full.factors)
    np.testing.assert_allclose(fast.total, full.total)
    np.testing.assert_array_equal(fast.grade, full.grade)
    np.testing.assert_allclose(fast.contributions, full.contributions)


def test_company_factor_once_a_company_equals_per_elevator() -> None:
    rng = np.random.default_rng(5)
    k, n = 7, 200
    company = rng.integers(0, k, n)
    company[company == 3] = 4  # a company without elevators
    per_company = {
        "tech_level": rng.uniform(1, 5, k),
        "elevators_per_technician": rng.uniform(10, 90, k),
        "company_fault_rate": rng.uniform(0, 1, k),
        "company_entrapment_rate": rng.uniform(0, 0.1, k),
        "on_time_rate": np.where(rng.random(k) < 0.3, np.nan, rng.uniform(0.7, 1, k)),
        "mean_arrival_min": rng.uniform(5, 30, k),
    }
    x = inputs(
        n, age_years=rng.uniform(0, 30, n), **{f: v[company] for f, v in per_company.items()}
    )
    once = sc.factor_matrix(dataclasses.replace(x, company=company))
    each = sc.factor_matrix(x)
    assert np.allclose(once, each)
    assert np.ptp(each[:, sc.FACTORS.index("company")]) > 10  # the inputs do differ


def test_recorded_checks_replace_the_registered_management_level() -> None:
    registered = user_unit_factor(inputs(3, management_level=5.0))
    recorded = user_unit_factor(
        inputs(3, management_level=5.0, checks_completion=np.array([np.nan, 1.0, 0.2]))
    )
    assert recorded[0] == pytest.approx(registered[0])  # no records: the level stands
    assert recorded[1] == pytest.approx(registered[1])  # complete records = the top level
    assert recorded[2] < registered[2] - 30  # a unit that neglects its checks scores low
