"""A plausible past for a synthetic fleet: maintenance visits, faults with their alarms,
and the rescue cases of entrapments, over a window of days (a year for the demo).

Pure: numpy columns in, columns out, deterministic for ``(fleet, seed, window)``. The
demo writes them with :mod:`evaluation.history_repository`.

- **Maintenance** (TSG T5002): a half-monthly visit every 15 days per elevator, due on
  the previous visit + 15 days; most visits 0-4 days before their due date, a share late
  by 1-12 days (2 % for the best companies, 14 % for the weakest, by technical level).
  A visit also does the quarterly, half-yearly or yearly items when the next visit
  would come too late for them, so each level stays within its period. Elevators
  installed inside the window start from their installation (the acceptance counts as
  every level done). A window that continues an earlier one (``MaintenanceState``)
  carries on each elevator's schedule from its last visits.
- **Faults** come from the fault-rate model (:func:`simulators.risk.simulate_fault_history`,
  scale 1): every fault becomes one closed alarm (the ground truth is kept beside it);
  a serious fault is followed by a repair visit within two days.
- **Rescue**: every entrapment and 40 % of alarm-button presses (the rest are false
  alarms) become a closed case: decided within 20-150 s, rescuer on site after a
  lognormal time (median 16 min in the core, 28 min outside; a few beyond the limit),
  passengers released 4-25 min later, closed 5-30 min after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from domain.alarms import SEVERITY, AlarmType
from domain.districts import district_by_name
from domain.fleet import Fleet
from domain.groundtruth import GroundTruth
from simulators.demand import DAY_MS
from simulators.naming import mobiles, person_name
from simulators.risk import simulate_fault_history

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

LEVELS = ("half_monthly", "quarterly", "half_yearly", "yearly")
REPAIR = "repair"
PERIODS = np.array([15, 90, 182, 365])  # days; the half-monthly one is the plan interval
MARGIN_DAYS = 0  # a higher level is done when the next visit (in 15 days) would be too late
# How long before the window each level was last done: uniform up to this many days.
PHASE_DAYS = np.array([15, 75, 167, 350])
SETTLE_MS = 3 * 3_600_000  # faults of the window's last hours are left to the live system
VISIT_MIN = np.array([45, 90, 120, 180])  # typical duration of a visit of each level
MIN_MS = 60_000
NEVER = -(2**31)
SERIOUS = frozenset(
    {
        AlarmType.ENTRAPMENT,
        AlarmType.DOOR_OPEN_WHILE_RUNNING,
        AlarmType.OVERSPEED,
        AlarmType.OVERTRAVEL_TOP,
        AlarmType.OVERTRAVEL_BOTTOM,
        AlarmType.STOPPED_OUTSIDE_DOOR_ZONE,
    }
)
RESCUE = frozenset({AlarmType.ENTRAPMENT, AlarmType.ALARM_BUTTON})
BUTTON_REAL_SHARE = 0.4
FINDINGS = (
    "更换层门门锁触点", "调整平层精度", "更换门机皮带", "清洁并调整门刀", "更换轿门光幕",
    "紧固导轨压板", "更换限位开关", "调整制动器间隙", "更换召唤按钮", "检查并复位安全回路",
)  # fmt: skip


@dataclass(frozen=True)
class MaintenanceState:
    """Where each elevator's schedule stands: the day number (days since 1970-01-01,
    ``NEVER`` unknown) each level was last done, in fleet order (elevators x 4)."""

    last_done: I64


@dataclass(frozen=True)
class Visits:
    """Maintenance records, one per row."""

    elevator_id: I64
    company_id: I64
    level: list[str]
    technician: list[str]
    started_ms: I64
    ended_ms: I64
    due_day: I64  # the planned day (day number); NEVER for repairs
    findings: list[str]


@dataclass(frozen=True)
class Alarms:
    """Past alarms (all finished), one per fault of the ground truth, in time order."""

    truth: list[GroundTruth]
    type: list[str]
    severity: I64
    state: list[str]
    opened_ms: I64
    resolved_ms: I64
    closed_ms: I64


@dataclass(frozen=True)
class Cases:
    """Past rescue cases; ``alarm`` indexes :class:`Alarms`. Times in epoch ms (0: none)."""

    alarm: I64
    elevator_id: I64
    source: list[str]
    state: list[str]
    rescuer_id: I64  # 0: none
    people: I64
    caller_phone: list[str]
    trapped_ms: I64
    reported_ms: I64
    decided_ms: I64
    accepted_ms: I64
    arrived_ms: I64
    released_ms: I64
    closed_ms: I64
    arrival_due_ms: I64


@dataclass(frozen=True)
class History:
    start_ms: int
    end_ms: int
    visits: Visits
    alarms: Alarms
    cases: Cases


def _day(ms: I64 | int) -> I64:
    """Local (UTC+8) day numbers of epoch milliseconds."""
    return np.floor_divide(np.asarray(ms, dtype=np.int64) + 8 * 3_600_000, DAY_MS)


def _initial_state(fleet: Fleet, start_day: int, rng: np.random.Generator) -> I64:
    """Each level last done at a random phase before the window (installation at most)."""
    n = len(fleet.elevators)
    install = np.fromiter(
        ((e.install_date - date(1970, 1, 1)).days for e in fleet.elevators), np.int64, n
    )
    ago = np.floor(rng.random((n, 4)) * PHASE_DAYS[None, :]).astype(np.int64)
    last: I64 = np.maximum(start_day - ago, install[:, None])
    return last


def _late_share(fleet: Fleet) -> F64:
    tech = {c.id: c.tech_level for c in fleet.companies}
    level = np.fromiter(
        (tech[e.company_id] for e in fleet.elevators), np.float64, len(fleet.elevators)
    )
    out: F64 = 0.02 + 0.03 * (5.0 - level)
    return out


def _levels_due(day: I64, last: I64) -> I64:
    """The highest level a visit on ``day`` must do: one whose period would run out
    before the next visit (``MARGIN_DAYS`` of slack)."""
    level = np.zeros(day.size, dtype=np.int64)
    for k in (1, 2, 3):
        needed = day - last[:, k] + PERIODS[0] + MARGIN_DAYS > PERIODS[k]
        level = np.where(needed, k, level)
    return level


def maintenance_days(
    fleet: Fleet, start_day: int, end_day: int, rng: np.random.Generator,
    state: MaintenanceState | None = None,
) -> tuple[I64, I64, I64, I64]:  # fmt: skip
    """(elevator position, day, level index, due day) of every planned visit in
    ``[start_day, end_day)``, in visit order per elevator."""
    last = _initial_state(fleet, start_day, rng)
    if state is not None:  # carry on from the last visits (a random phase where none)
        last = np.where(state.last_done == NEVER, last, state.last_done)
    n = last.shape[0]
    late_p = _late_share(fleet)
    prev = last[:, 0].copy()
    # Installed inside the window: the handover (all levels) is the first record.
    new = np.flatnonzero((last[:, 3] >= start_day) & (last[:, 3] < end_day))
    out: list[tuple[I64, I64, I64, I64]] = [(new, last[new, 3], np.full(new.size, 3), last[new, 3])]
    finished = np.zeros(n, dtype=np.bool_)  # the next visit falls after the window
    while True:
        due = prev + PERIODS[0]
        late = rng.random(n) < late_p
        day = np.where(late, due + rng.integers(1, 13, n), due - rng.integers(0, 5, n))
        day = np.maximum(day, np.maximum(prev + 1, start_day))  # none before the window
        finished |= day >= end_day
        live = ~finished
        if not live.any():
            break
        level = _levels_due(day, last)
        for k in range(4):
            last[:, k] = np.where(live & (level >= k), day, last[:, k])
        idx = np.flatnonzero(live)
        out.append((idx, day[idx], level[idx], due[idx]))
        prev = np.where(live, day, prev)
    if not out:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    pos, day, level, due = (np.concatenate([o[i] for o in out]) for i in range(4))
    return pos, day, level, due


def _technicians(fleet: Fleet, rng: np.random.Generator) -> dict[int, list[str]]:
    """3-8 technicians per company."""
    return {
        c.id: [person_name(rng) for _ in range(int(rng.integers(3, 9)))] for c in fleet.companies
    }


def _visit_times(day: I64, minutes: F64, rng: np.random.Generator) -> tuple[I64, I64]:
    """Start in working hours (08:30-16:30 local), lasting ``minutes``."""
    minute = 8 * 60 + 30 + rng.integers(0, 8 * 60, day.size)
    start: I64 = day * DAY_MS - 8 * 3_600_000 + minute * MIN_MS
    return start, start + (minutes * MIN_MS).astype(np.int64)


def _visits(
    fleet: Fleet, window: tuple[int, int], serious: Alarms, rng: np.random.Generator,
    state: MaintenanceState | None,
) -> Visits:  # fmt: skip
    start_ms, end_ms = window
    start_day, end_day = int(_day(start_ms)), int(_day(end_ms))
    pos, day, level, due = maintenance_days(fleet, start_day, end_day + 1, rng, state)
    ids = np.fromiter((e.id for e in fleet.elevators), np.int64, len(fleet.elevators))
    company = np.fromiter((e.company_id for e in fleet.elevators), np.int64, ids.size)
    minutes = VISIT_MIN[level] * rng.uniform(0.7, 1.5, level.size)
    started, ended = _visit_times(day, minutes, rng)
    early = started < start_ms  # on the window's first day, before it starts: later that day
    started = np.where(early, start_ms + MIN_MS, started)
    ended = np.where(early, started + (minutes * MIN_MS).astype(np.int64), ended)
    # Repairs: within two days of each serious fault (same day when early enough).
    r_pos = np.searchsorted(ids, np.asarray([t.elevator_id for t in serious.truth], np.int64))
    r_start = serious.resolved_ms + rng.integers(5, 48 * 60, r_pos.size) * MIN_MS
    r_end = r_start + rng.integers(30, 180, r_pos.size) * MIN_MS
    all_end = np.concatenate([ended, r_end])
    keep = all_end < end_ms
    staff = _technicians(fleet, rng)
    all_pos = np.concatenate([pos, r_pos])
    pick = rng.integers(0, 8, all_pos.size)
    comp = company[all_pos]
    technician = [
        staff[int(c)][int(p) % len(staff[int(c)])] for c, p in zip(comp, pick, strict=True)
    ]
    level_names = [LEVELS[int(k)] for k in level] + [REPAIR] * r_pos.size
    finding = rng.integers(0, len(FINDINGS), r_pos.size)
    findings = [""] * pos.size + [FINDINGS[int(f)] for f in finding]
    k = np.flatnonzero(keep)
    return Visits(
        elevator_id=ids[all_pos][k],
        company_id=comp[k],
        level=[level_names[i] for i in k],
        technician=[technician[i] for i in k],
        started_ms=np.concatenate([started, r_start])[k],
        ended_ms=all_end[k],
        due_day=np.concatenate([due, np.full(r_pos.size, NEVER)])[k],
        findings=[findings[i] for i in k],
    )


def _alarms(truth: list[GroundTruth], end_ms: int, rng: np.random.Generator) -> Alarms:
    """One finished alarm per fault that ended before ``end_ms``."""
    truth = [t for t in truth if t.end_ms < end_ms]
    m = len(truth)
    start = np.fromiter((t.start_ms for t in truth), np.int64, m)
    stop = np.fromiter((t.end_ms for t in truth), np.int64, m)
    opened = start + rng.integers(2_000, 40_000, m)
    resolved = np.maximum(stop, opened + 1_000)
    closed = np.minimum(resolved + rng.integers(1, 60, m) * MIN_MS, end_ms - 1)
    kinds = [AlarmType(t.kind) for t in truth]
    return Alarms(
        truth=truth,
        type=[k.value for k in kinds],
        severity=np.fromiter((int(SEVERITY[k]) for k in kinds), np.int64, m),
        state=["closed"] * m,
        opened_ms=opened,
        resolved_ms=np.maximum(resolved, opened),
        closed_ms=np.maximum(closed, resolved),
    )


def _subset(a: Alarms, rows: I64) -> Alarms:
    return Alarms(
        truth=[a.truth[i] for i in rows], type=[a.type[i] for i in rows], severity=a.severity[rows],
        state=[a.state[i] for i in rows], opened_ms=a.opened_ms[rows],
        resolved_ms=a.resolved_ms[rows], closed_ms=a.closed_ms[rows],
    )  # fmt: skip


def _responders(fleet: Fleet) -> tuple[dict[int, list[int]], dict[str, list[int]], list[int]]:
    """Rescuer ids by company, station rescuers by district, and all rescuer ids."""
    by_company: dict[int, list[int]] = {}
    by_district: dict[str, list[int]] = {}
    station_district = {s.id: s.district for s in fleet.stations}
    for r in fleet.rescuers:
        if r.company_id is not None:
            by_company.setdefault(r.company_id, []).append(r.id)
        if r.station_id is not None:
            by_district.setdefault(station_district[r.station_id], []).append(r.id)
    return by_company, by_district, [r.id for r in fleet.rescuers]


def _rescuer_for(elevator_ids: I64, fleet: Fleet, rng: np.random.Generator) -> I64:
    """The company's own rescuer (70 %) or a station rescuer of the district."""
    by_company, by_district, everyone = _responders(fleet)
    elevators = {e.id: e for e in fleet.elevators}
    out = np.zeros(elevator_ids.size, dtype=np.int64)
    for i, eid in enumerate(elevator_ids.tolist()):
        e = elevators[eid]
        own = by_company.get(e.company_id, [])
        pool = own if own and rng.random() < 0.7 else by_district.get(e.district, own or everyone)
        out[i] = pool[int(rng.integers(0, len(pool)))]
    return out


def _cases(fleet: Fleet, alarms: Alarms, rng: np.random.Generator) -> Cases:
    """Rescue cases of the entrapments and of the alarm-button presses."""
    rows = np.asarray([i for i, t in enumerate(alarms.type) if AlarmType(t) in RESCUE], np.int64)
    m = rows.size
    eid = np.asarray([alarms.truth[i].elevator_id for i in rows], np.int64)
    button = np.asarray([alarms.type[i] == AlarmType.ALARM_BUTTON.value for i in rows], np.bool_)
    real = ~button | (rng.random(m) < BUTTON_REAL_SHARE)
    urban = {e.id: district_by_name(e.district).urban for e in fleet.elevators}
    is_urban = np.asarray([urban[int(i)] for i in eid], np.bool_)
    sla_min = np.where(is_urban, 30, 60)
    trapped = np.asarray([alarms.truth[i].start_ms for i in rows.tolist()], np.int64)
    reported = alarms.opened_ms[rows]
    decided = reported + rng.integers(20, 150, m) * 1000
    median = np.where(is_urban, 16.0, 28.0)
    travel = np.clip(median * rng.lognormal(0.0, 0.35, m), 6.0, 110.0)
    arrived = decided + (travel * MIN_MS).astype(np.int64)
    released = arrived + rng.integers(4, 26, m) * MIN_MS
    closed = np.where(real, released + rng.integers(5, 31, m) * MIN_MS, decided + 6 * MIN_MS)
    zero = np.zeros(m, dtype=np.int64)
    return Cases(
        alarm=rows,
        elevator_id=eid,
        source=[alarms.type[i] for i in rows],
        state=["closed" if r else "false_alarm" for r in real.tolist()],
        rescuer_id=np.where(real, _rescuer_for(eid, fleet, rng), 0),
        people=np.where(real, 1 + rng.poisson(0.6, m), 0),
        caller_phone=mobiles(m, rng),
        trapped_ms=trapped,
        reported_ms=reported,
        decided_ms=decided,
        accepted_ms=np.where(real, decided, zero),
        arrived_ms=np.where(real, arrived, zero),
        released_ms=np.where(real, released, zero),
        closed_ms=closed,
        arrival_due_ms=reported + sla_min * MIN_MS,
    )


def generate_history(
    fleet: Fleet, seed: int, start_ms: int, end_ms: int, state: MaintenanceState | None = None
) -> History:
    """The fleet's past between ``start_ms`` and ``end_ms`` (epoch ms); deterministic for
    ``(fleet, seed, start_ms, end_ms, state)``."""
    if end_ms <= start_ms:
        raise ValueError("the history window must end after it starts")
    rng = np.random.default_rng([seed, start_ms // DAY_MS, 0x48495354])
    start_day = int(_day(start_ms))
    first = date.fromordinal(date(1970, 1, 1).toordinal() + start_day)
    days = int(_day(end_ms)) - start_day + 1
    truth = [
        t for t in simulate_fault_history(fleet, first, days, seed)
        if start_ms <= t.start_ms and t.end_ms < end_ms - SETTLE_MS
    ]  # fmt: skip
    alarms = _alarms(truth, end_ms, rng)
    serious = np.asarray(
        [i for i, t in enumerate(alarms.type) if AlarmType(t) in SERIOUS], np.int64
    )
    visits = _visits(fleet, (start_ms, end_ms), _subset(alarms, serious), rng, state)
    cases = _cases(fleet, alarms, rng)
    for row, state_name in zip(cases.alarm.tolist(), cases.state, strict=True):
        if state_name == "false_alarm":  # a button pressed with nobody trapped
            alarms.state[row] = "false_alarm"
    return History(start_ms, end_ms, visits, alarms, cases)
