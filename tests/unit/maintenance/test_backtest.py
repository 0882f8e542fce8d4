"""Back-test helpers: the hand-written ROC AUC, simulated visit schedules, missed faults,
and a small end-to-end run on a simulated fleet."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from evaluation.backtest import Events, _missed, _visit_days, roc_auc, run_backtest
from maintenance.config import ScoreSettings


def _pairwise_auc(risk: np.ndarray, positive: np.ndarray) -> float:
    pos, neg = risk[positive], risk[~positive]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_extremes_and_ties() -> None:
    y = np.array([False, False, True, True])
    assert roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), y) == 1.0
    assert roc_auc(np.array([0.9, 0.8, 0.2, 0.1]), y) == 0.0
    assert roc_auc(np.ones(4), y) == 0.5
    assert np.isnan(roc_auc(np.ones(3), np.array([True, True, True])))


def test_roc_auc_matches_pairwise_count() -> None:
    rng = np.random.default_rng(1)
    risk = rng.integers(0, 10, 200).astype(float)  # many ties
    y = rng.random(200) < 0.3
    assert roc_auc(risk, y) == pytest.approx(_pairwise_auc(risk, y))


def test_visit_days_regular_and_urgent_restart() -> None:
    v = _visit_days(np.array([5, 2]), np.array([30, 15]), [[], [10]], 60)
    assert v[0] == [5, 35]
    assert v[1] == [2, 10, 25, 40, 55]  # urgent on day 10 restarts the 15-day interval


def test_missed_fault_needs_a_warning_without_a_visit_before_the_next_fault() -> None:
    ev = Events(
        elevator=np.array([0, 0, 1, 1]),
        day=np.array([10, 20, 10, 20]),
        kind=np.array(["entrapment", "door_fails_to_close"] * 2),
        duration_s=np.zeros(4),
    )
    is_fault = np.ones(4, dtype=bool)
    serious = np.array([True, False, True, False])
    visits = [[5, 35], [5, 13, 35]]  # elevator 1 visited on day 13, between the faults
    missed, uncovered = _missed(visits, np.array([-3, -3]), ev, is_fault, serious)
    assert list(missed) == [False, True, False, False]
    assert list(uncovered) == [False, False, False, False]
    missed, uncovered = _missed([[], []], np.array([-3, -20]), ev, is_fault, serious)
    assert list(uncovered) == [False, True, True, True]  # day 10 is 13 days after day -3


def test_small_backtest_runs_and_policy_visits_less() -> None:
    r = run_backtest(600, 3, ScoreSettings())
    assert r.elevators == 600
    assert 0.0 <= r.auc <= 1.0
    assert 0.0 <= r.auc_age <= 1.0
    assert 0.0 <= r.auc_unit_registered <= 1.0
    assert 0.0 <= r.auc_no_unit <= 1.0
    assert r.visits_fixed == pytest.approx(24.33, abs=0.5)
    assert r.visits_policy < r.visits_fixed
    assert sum(r.grades.values()) == 600
    assert r.summary()["auc"] == r.auc
