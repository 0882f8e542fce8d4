"""Simulated user units: records follow the hidden diligence, and the fault model takes
the level a unit acts at (so neglecting units have more faults)."""

from __future__ import annotations

from datetime import date

import numpy as np

from evaluation.unit_checks import recorded_unit_facts, window_checks
from simulators.fleet import generate_fleet
from simulators.risk import fault_rates
from simulators.units import acting_fleet, acting_level, unit_behaviour

DAY0 = date(2024, 7, 1)


def test_records_follow_diligence_and_neglect_raises_fault_rates() -> None:
    fleet = generate_fleet(1500, 5, DAY0)
    behaviour = unit_behaviour(fleet, 9)
    facts = recorded_unit_facts(fleet, window_checks(fleet, behaviour, DAY0, 10))
    d = behaviour.of(facts["user_unit_id"])
    assert np.corrcoef(d, facts["completion"])[0, 1] > 0.9
    assert np.all((facts["completion"] >= 0) & (facts["completion"] <= 1))
    acting = acting_fleet(fleet, behaviour)
    units = np.array([e.user_unit_id or -1 for e in fleet.elevators])
    rates = fault_rates(acting, DAY0).sum(axis=1)
    level = acting_level(behaviour.of(units))
    assert rates[level <= 2].mean() > 1.2 * rates[level >= 4].mean()


def test_acting_level_inverts_the_mean_diligence_of_each_level() -> None:
    assert acting_level(np.array([0.0, 0.33, 0.59, 0.85, 1.0])).tolist() == [1, 1, 3, 5, 5]
