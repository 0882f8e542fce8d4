"""The seeded past of a synthetic fleet: a maintenance cadence that leaves few elevators
due, faults at the fault model's rates, rescue cases for entrapments, deterministic."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime

import numpy as np
import pytest

from domain.alarms import AlarmType
from domain.districts import district_by_name
from domain.fleet import Fleet
from simulators.fleet import generate_fleet
from simulators.history import LEVELS, PERIODS, History, MaintenanceState, generate_history
from simulators.risk import FAULT_KINDS, fault_rates

AS_OF = date(2026, 12, 1)
END = int(datetime(2026, 12, 1, 3, tzinfo=UTC).timestamp() * 1000)
DAY = 86_400_000
START = END - 365 * DAY


def _day(ms: np.ndarray) -> np.ndarray:
    return (ms + 8 * 3_600_000) // DAY


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return generate_fleet(1500, 4, AS_OF)


@pytest.fixture(scope="module")
def history(fleet: Fleet) -> History:
    return generate_history(fleet, 4, START, END)


def _last_done(h: History, n: int) -> np.ndarray:
    """Day each level was last done per elevator id (1..n); -1 never."""
    last = np.full((n + 1, 4), -1, dtype=np.int64)
    days = _day(h.visits.ended_ms)
    for eid, level, day in zip(
        h.visits.elevator_id.tolist(), h.visits.level, days.tolist(), strict=True
    ):
        if level in LEVELS:
            rank = LEVELS.index(level)
            last[eid, : rank + 1] = np.maximum(last[eid, : rank + 1], day)
    return last[1:]


def test_same_seed_same_history_other_seed_other(fleet: Fleet, history: History) -> None:
    again = generate_history(fleet, 4, START, END)
    assert np.array_equal(again.visits.ended_ms, history.visits.ended_ms)
    assert again.visits.technician == history.visits.technician
    assert again.alarms.truth == history.alarms.truth
    assert np.array_equal(again.cases.arrived_ms, history.cases.arrived_ms)
    other = generate_history(fleet, 5, START, END)
    assert not np.array_equal(other.visits.ended_ms[:100], history.visits.ended_ms[:100])


def test_everything_lies_inside_the_window(history: History) -> None:
    v, a, c = history.visits, history.alarms, history.cases
    assert START <= v.started_ms.min() <= v.ended_ms.max() < END
    assert (v.ended_ms > v.started_ms).all()
    assert a.opened_ms.min() >= START
    assert (a.resolved_ms >= a.opened_ms).all()
    assert (a.closed_ms >= a.resolved_ms).all()
    assert a.closed_ms.max() < END
    assert c.closed_ms.max() < END


def test_a_visit_every_fifteen_days_mostly_on_time(fleet: Fleet, history: History) -> None:
    v = history.visits
    planned = np.asarray([lv in LEVELS for lv in v.level])
    per_elevator = np.bincount(v.elevator_id[planned], minlength=len(fleet.elevators) + 1)[1:]
    old = np.asarray([(AS_OF - e.install_date).days > 365 for e in fleet.elevators])
    assert 22 <= np.median(per_elevator[old]) <= 30  # 365 / 15 = 24, visits a bit early
    late = _day(v.ended_ms[planned]) > v.due_day[planned]
    assert 0.02 < late.mean() < 0.15
    last = _last_done(history, len(fleet.elevators))
    today = int(_day(np.asarray(END)))
    # Every level done within the year (but the odd yearly visit falling just after it).
    assert (last >= 0).all(axis=1).mean() > 0.99
    # Each level stays within its period: at most a late visit's delay beyond it.
    assert (today - last[(last >= 0).all(axis=1)] <= PERIODS[None, :] + 12).all()
    due = (last + PERIODS[None, :] <= today).any(axis=1)
    assert 0.0 < due.mean() < 0.10


def test_higher_levels_at_their_periods(history: History) -> None:
    counts = {lv: history.visits.level.count(lv) for lv in (*LEVELS, "repair")}
    # Per elevator-year: ~4 quarterly (incl. higher), ~2 half-yearly (incl. yearly), 1 yearly.
    n = counts["half_monthly"] + counts["quarterly"] + counts["half_yearly"] + counts["yearly"]
    assert counts["yearly"] / n == pytest.approx(1 / 25, rel=0.35)
    higher = (counts["quarterly"] + counts["half_yearly"] + counts["yearly"]) / n
    assert 4 / 25 <= higher <= 5.5 / 25  # every 2.5-3 months: a little before each quarter
    assert counts["repair"] > 0


def test_faults_at_the_fault_models_rates(fleet: Fleet, history: History) -> None:
    kinds = [t.kind for t in history.alarms.truth]
    assert history.alarms.type == kinds
    expected = fault_rates(fleet, date(2026, 6, 1)).sum(axis=0) * 365
    for k, kind in enumerate(FAULT_KINDS):
        seen = kinds.count(kind.value)
        sd = max(3.0, np.sqrt(expected[k]))
        assert abs(seen - expected[k]) < 5 * sd + 0.2 * expected[k], (kind, seen, expected[k])


def test_serious_faults_are_followed_by_a_repair(history: History) -> None:
    repairs: dict[int, list[int]] = {}
    for eid, level, start in zip(
        history.visits.elevator_id.tolist(), history.visits.level,
        history.visits.started_ms.tolist(), strict=True,
    ):  # fmt: skip
        if level == "repair":
            repairs.setdefault(eid, []).append(start)
    serious = [
        (t.elevator_id, int(history.alarms.resolved_ms[i]))
        for i, t in enumerate(history.alarms.truth)
        if t.kind == AlarmType.OVERSPEED.value
    ]
    assert serious
    followed = [
        any(0 <= r - at <= 2 * DAY for r in repairs.get(eid, [])) for eid, at in serious
        if at < END - 2 * DAY
    ]  # fmt: skip
    assert all(followed)


def test_rescue_cases_of_entrapments_and_alarm_buttons(fleet: Fleet, history: History) -> None:
    c, a = history.cases, history.alarms
    sources = {a.type[int(i)] for i in c.alarm}
    assert sources == {AlarmType.ENTRAPMENT.value, AlarmType.ALARM_BUTTON.value}
    entrapments = sum(1 for t in a.type if t == AlarmType.ENTRAPMENT.value)
    assert sum(1 for s in c.source if s == AlarmType.ENTRAPMENT.value) == entrapments
    real = np.asarray([s == "closed" for s in c.state])
    assert set(c.state) == {"closed", "false_alarm"}
    assert all(
        a.state[int(i)] == "false_alarm" for i, s in zip(c.alarm, c.state, strict=True)
        if s == "false_alarm"
    )  # fmt: skip
    assert all(
        s == AlarmType.ALARM_BUTTON.value for s, r in zip(c.source, real, strict=True) if not r
    )
    order = [c.trapped_ms, c.reported_ms, c.decided_ms, c.accepted_ms, c.arrived_ms,
             c.released_ms, c.closed_ms]  # fmt: skip
    for before, after in itertools.pairwise(order):
        assert (after[real] >= before[real]).all()
    assert (c.rescuer_id[real] > 0).all()
    assert (c.people[real] >= 1).all()
    urban = np.asarray(
        [district_by_name(fleet.elevators[int(e) - 1].district).urban for e in c.elevator_id]
    )
    within = (c.arrived_ms <= c.arrival_due_ms)[real]
    assert 0.85 < within.mean() < 1.0
    assert (c.arrival_due_ms - c.reported_ms)[real & urban].max() == 30 * 60_000
    assert all(re.match(r"^1[3-9]\d{9}$", p) for p in c.caller_phone)


def test_a_later_window_continues_from_the_last_visits(fleet: Fleet, history: History) -> None:
    last = _last_done(history, len(fleet.elevators))
    later = generate_history(fleet, 4, END, END + 30 * DAY, MaintenanceState(last))
    first_visit: dict[int, int] = {}
    for eid, level, day in zip(
        later.visits.elevator_id.tolist(), later.visits.level,
        _day(later.visits.ended_ms).tolist(), strict=True,
    ):  # fmt: skip
        if level in LEVELS:
            first_visit.setdefault(eid, day)
    gaps = np.asarray([day - last[eid - 1, 0] for eid, day in first_visit.items()])
    assert len(first_visit) > 0.95 * len(fleet.elevators)
    assert gaps.min() >= 1
    assert gaps.max() <= 27  # 15 days + at most 12 late
