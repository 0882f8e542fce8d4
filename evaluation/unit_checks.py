"""The user units' simulated records as the score job would read them: completion per
unit through the product's own rules (:func:`units.policy.completion`), and the scores
with the user-unit factor from those records, from the registered level, and without it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from analytics.score import FACTORS, ScoreInputs, score
from domain.fleet import Fleet
from domain.table import Table
from maintenance.config import ScoreSettings
from simulators.units import CheckHistory, UnitBehaviour, simulate_checks
from units.model import CheckCounts
from units.policy import WINDOW_DAYS, completion
from units.repository import unit_facts


def recorded_unit_facts(fleet: Fleet, history: CheckHistory) -> Table:
    """Per unit: completion of the simulated records over the window, and staffing."""
    unit_of = {e.id: e.user_unit_id for e in fleet.elevators if e.user_unit_id}
    size: dict[int, int] = {}
    for u in unit_of.values():
        size[u] = size.get(u, 0) + 1
    daily: dict[int, int] = {}
    for eid in history.daily_elevator.tolist():
        u = unit_of[eid]
        daily[u] = daily.get(u, 0) + 1  # one record per elevator and day already
    in_window = history.weekly_day >= -6
    weekly = np.bincount(history.weekly_unit[in_window], minlength=max(size, default=0) + 1)
    monthly = np.bincount(history.monthly_unit, minlength=max(size, default=0) + 1)
    rows = []
    for u, n in sorted(size.items()):
        counts = CheckCounts(
            u, n, daily.get(u, 0), int(weekly[u]), int(monthly[u]), True,
            history.staffed.get(u),
        )  # fmt: skip
        rows.append((u, completion(counts, history.days).overall, history.staffed.get(u)))
    return unit_facts(rows)


def window_checks(fleet: Fleet, behaviour: UnitBehaviour, day0: date, seed: int) -> CheckHistory:
    """The records of the :data:`~units.policy.WINDOW_DAYS` before ``day0``."""
    return simulate_checks(fleet, behaviour, day0 - timedelta(days=WINDOW_DAYS), WINDOW_DAYS, seed)


@dataclass(frozen=True)
class UnitVariants:
    registered_total: np.ndarray  # the user-unit factor from the registered level
    without_total: np.ndarray  # the user-unit factor's weight set to 0


def unit_variants(inputs: ScoreInputs, settings: ScoreSettings) -> UnitVariants:
    registered = replace(inputs, checks_completion=None)
    weights = list(settings.weights)
    weights[FACTORS.index("user_unit")] = 0.0
    return UnitVariants(
        registered_total=score(registered, settings.weights, settings.grade_bands).total,
        without_total=score(inputs, weights, settings.grade_bands).total,
    )
