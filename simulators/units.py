"""User units' safety work, simulated with a ground truth: each unit has a hidden
diligence (the share of its 日管控、周排查、月调度 it actually does), partly explained by its
registered management level and partly its own. The fault model's management term
(:mod:`simulators.risk`, ``A_MGMT``) then takes the level the unit *acts* at, read from
its diligence (:func:`acting_fleet`), not the level on paper: units that neglect their
checks have more faults. Its records (daily checks per elevator, weekly investigations,
monthly meetings, certified staff) are drawn from the same diligence.

So the back-test can ask whether the *recorded* management level predicts faults better
than the registered one (evaluation/backtest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import msgspec
import numpy as np
import numpy.typing as npt

from domain.fleet import Fleet

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# diligence = clip(BASE + PER_LEVEL * level + N(0, NOISE), LOW, 1)
BASE, PER_LEVEL, NOISE, LOW = 0.2, 0.13, 0.2, 0.03


@dataclass(frozen=True)
class UnitBehaviour:
    unit_id: I64  # sorted
    diligence: F64  # 0..1, the hidden truth

    def of(self, unit_ids: I64) -> F64:
        """Diligence per given unit id (an elevator without a unit: the lowest)."""
        pos = np.clip(np.searchsorted(self.unit_id, unit_ids), 0, max(0, self.unit_id.size - 1))
        found = (self.unit_id.size > 0) & (self.unit_id[pos] == unit_ids)
        return np.where(found, self.diligence[pos] if self.unit_id.size else 0.0, LOW)


def unit_behaviour(fleet: Fleet, seed: int) -> UnitBehaviour:
    rng = np.random.default_rng(seed)
    units = sorted(fleet.user_units, key=lambda u: u.id)
    level = np.array([u.management_level for u in units], dtype=np.float64)
    d = BASE + PER_LEVEL * level + rng.normal(0.0, NOISE, level.size)
    return UnitBehaviour(np.array([u.id for u in units], dtype=np.int64), np.clip(d, LOW, 1.0))


def elevator_units(fleet: Fleet) -> I64:
    return np.array([e.user_unit_id or -1 for e in fleet.elevators], dtype=np.int64)


def acting_level(diligence: F64) -> F64:
    """The management level (1..5) a unit of this diligence acts at: the inverse of the
    registered level's mean diligence."""
    out: F64 = np.clip(np.rint((diligence - BASE) / PER_LEVEL), 1, 5)
    return out


def acting_fleet(fleet: Fleet, behaviour: UnitBehaviour) -> Fleet:
    """The fleet with each unit's management level as it acts: what the fault model uses."""
    level = dict(zip(behaviour.unit_id.tolist(), acting_level(behaviour.diligence).tolist(),
                     strict=True))  # fmt: skip
    units = [msgspec.structs.replace(u, management_level=int(level[u.id]))
             for u in fleet.user_units]  # fmt: skip
    return msgspec.structs.replace(fleet, user_units=units)


@dataclass(frozen=True)
class CheckHistory:
    """Simulated records over [start, start + days)."""

    start: date
    days: int
    daily_elevator: I64  # elevator id of each daily check
    daily_day: I64  # its day (0-based)
    weekly_unit: I64  # unit id of each weekly investigation
    weekly_day: I64  # the Monday (0-based day; may be negative for the first week)
    monthly_unit: I64
    monthly_day: I64  # the first of the month (0-based day)
    staffed: dict[int, bool]  # unit -> a certified director and officer

    def daily_dates(self) -> list[date]:
        return [self.start + timedelta(days=int(d)) for d in self.daily_day]


def _mondays(start: date, days: int) -> list[int]:
    first = -start.weekday()
    return list(range(first, days, 7))


def _month_starts(start: date, days: int) -> list[int]:
    out, d = [], start.replace(day=1)
    end = start + timedelta(days=days)
    while d < end:
        out.append((d - start).days)
        d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def simulate_checks(
    fleet: Fleet, behaviour: UnitBehaviour, start: date, days: int, seed: int
) -> CheckHistory:
    """Each elevator-day's daily check is done with the unit's diligence; weekly and
    monthly records (more often kept than daily ones) with its square root."""
    rng = np.random.default_rng(seed)
    units = elevator_units(fleet)
    eids = np.array([e.id for e in fleet.elevators], dtype=np.int64)
    d = behaviour.of(units)
    has_unit = units >= 0
    done = (rng.random((eids.size, days)) < d[:, None]) & has_unit[:, None]
    ev, day = np.nonzero(done)
    weeks = np.array(_mondays(start, days), dtype=np.int64)
    months = np.array(_month_starts(start, days), dtype=np.int64)
    sq = np.sqrt(behaviour.diligence)
    w_done = rng.random((behaviour.unit_id.size, weeks.size)) < sq[:, None]
    m_done = rng.random((behaviour.unit_id.size, months.size)) < sq[:, None]
    wu, wk = np.nonzero(w_done)
    mu, mo = np.nonzero(m_done)
    staffed = rng.random(behaviour.unit_id.size) < sq
    return CheckHistory(
        start=start,
        days=days,
        daily_elevator=eids[ev],
        daily_day=day.astype(np.int64),
        weekly_unit=behaviour.unit_id[wu],
        weekly_day=weeks[wk],
        monthly_unit=behaviour.unit_id[mu],
        monthly_day=months[mo],
        staffed={int(u): bool(s) for u, s in zip(behaviour.unit_id, staffed, strict=True)},
    )
