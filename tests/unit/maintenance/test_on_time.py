"""The company on-time rate from maintenance records (maintenance.policy.on_time_rates)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from maintenance.config import ScoreSettings
from maintenance.policy import NO_DAY, on_time_rates

AS_OF = 20_000
GRACE = ScoreSettings().on_time_grace_days


def rates(
    gaps: list[tuple[int, int]],
    last: list[int],
    allowed: list[int],
    company: list[int] | None = None,
    **kw: Any,
) -> list[float]:
    n = len(last)
    comp = np.asarray(company if company is not None else [0] * n, dtype=np.int64)
    out = on_time_rates(
        comp,
        int(comp.max()) + 1,
        np.asarray(allowed, dtype=np.int64),
        np.asarray([e for e, _ in gaps], dtype=np.int64),
        np.asarray([g for _, g in gaps], dtype=np.int64),
        np.asarray(last, dtype=np.int64),
        np.asarray(kw.get("in_service", [True] * n), dtype=bool),
        np.asarray(kw.get("days_in_service", [3650.0] * n), dtype=np.float64),
        AS_OF,
        GRACE,
    )
    return [float(x) for x in out]


@pytest.mark.parametrize(
    ("gap", "late"),
    [
        (15 + GRACE, False),  # the interval plus the grace: on time
        (15 + GRACE + 1, True),  # one day more: late
    ],
)
def test_visit_gap_against_the_allowed_interval(gap: int, late: bool) -> None:
    [rate] = rates([(0, gap), (0, 10)], [AS_OF - 1], [15])
    assert rate == (0.5 if late else 1.0)


def test_the_interval_is_the_elevators_own() -> None:
    # The same 40-day gap: on time at a 60-day interval, late at 15 days.
    out = rates([(0, 40), (1, 40)], [AS_OF - 1, AS_OF - 1], [60, 15], company=[0, 1])
    assert out == [1.0, 0.0]


def test_an_overdue_elevator_counts_as_one_late_visit() -> None:
    # Elevator 1: last visit 30 days ago at a 15-day interval; elevator 0 on time.
    [rate] = rates([(0, 14)], [AS_OF - 2, AS_OF - 30], [15, 15])
    assert rate == pytest.approx(0.5)
    # Out of service: not overdue.
    [rate] = rates([(0, 14)], [AS_OF - 2, AS_OF - 30], [15, 15], in_service=[True, False])
    assert rate == 1.0


def test_never_visited_counts_from_installation() -> None:
    new = rates([], [NO_DAY], [15], days_in_service=[10.0])
    old = rates([], [NO_DAY], [15], days_in_service=[400.0])
    assert np.isnan(new[0])
    assert old == [0.0]


def test_nothing_to_judge_is_unknown() -> None:
    out = rates([(0, 10)], [AS_OF - 1, AS_OF - 1], [15, 15], company=[0, 1])
    assert out[0] == 1.0
    assert np.isnan(out[1])
