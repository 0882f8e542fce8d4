"""The fault-rate model: how often each elevator suffers each fault, and a fast history.

Each elevator's daily rate of fault kind ``k`` is log-linear in the "3+2" factors plus
the hidden degradation ``condition``::

    rate[k] = BASE[k] * usage[type]^U[k] * season[k](month)
              * exp( A_AGE[k]   * (age_years - 10) / 10
                   + A_TECH[k]  * (3 - company tech level)
                   + A_CREDIT[k]* (75 - company credit score) / 10
                   + A_MGMT[k]  * (3 - user unit management level)
                   + A_COND[k]  * (condition - 0.25) * 4 )

``condition`` itself is partly explained by the same factors (see
:func:`simulators.fleet.hidden_condition`) and partly a hidden per-elevator term that
only telemetry (analog drift: vibration, door times, leveling error) reveals. So the
base factors predict faults genuinely but noisily, and the AI-monitoring factor adds
information. Power cuts and terminal outages barely depend on the elevator. BASE is
the daily rate of a reference elevator (10 years, tech 3, credit 75, management 3,
condition 0.25, residential); e.g. entrapments 1.5e-4/day is ~0.45 %/month, close to
Jiangsu's published 0.55 % monthly entrapment rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import numpy.typing as npt

from domain.alarms import AlarmType
from domain.fleet import BuildingType, Fleet
from domain.groundtruth import GroundTruth
from simulators.demand import DAY_MS, HOURLY, LOCAL_TZ

F64 = npt.NDArray[np.float64]

FAULT_KINDS: tuple[AlarmType, ...] = (
    AlarmType.ENTRAPMENT,
    AlarmType.DOOR_FAILS_TO_OPEN,
    AlarmType.DOOR_FAILS_TO_CLOSE,
    AlarmType.STOPPED_OUTSIDE_DOOR_ZONE,
    AlarmType.DOOR_OPEN_WHILE_RUNNING,
    AlarmType.OVERSPEED,
    AlarmType.OVERTRAVEL_TOP,
    AlarmType.OVERTRAVEL_BOTTOM,
    AlarmType.POWER_CUT,
    AlarmType.TERMINAL_OFFLINE,
    AlarmType.ALARM_BUTTON,
)
K = len(FAULT_KINDS)
# fmt: off
#                  entrap door_o door_c stopz  dowr   ovsp   ot_top ot_bot power  offl   button
BASE = np.array([1.1e-4, 6e-4, 1.0e-3, 3e-4, 2e-5, 1.5e-5, 2.5e-5, 2.5e-5, 2e-4, 8e-4, 6e-4])
A_AGE = np.array([0.45,  0.40,  0.40,  0.45,  0.50,  0.50,  0.45,  0.45,  0.05,  0.05,  0.25])
A_TECH = np.array([0.25, 0.25,  0.25,  0.30,  0.35,  0.35,  0.30,  0.30,  0.00,  0.15,  0.10])
A_CREDIT = np.array([0.12, 0.10, 0.10, 0.12,  0.15,  0.15,  0.12,  0.12,  0.00,  0.05,  0.05])
A_MGMT = np.array([0.25, 0.30,  0.35,  0.15,  0.15,  0.10,  0.10,  0.10,  0.05,  0.10,  0.30])
A_COND = np.array([0.45, 0.45,  0.45,  0.50,  0.50,  0.50,  0.45,  0.45,  0.00,  0.05,  0.25])
U = np.array([1.0,       1.0,   1.0,   1.0,   1.0,   1.0,   1.0,   1.0,   0.0,   0.0,   1.0])
# Rainy, humid, typhoon season (April-September): more door faults and power cuts.
SEASON_DOOR = np.array([1, 1, 1, 1.15, 1.2, 1.25, 1.25, 1.25, 1.2, 1, 1, 1])
SEASON_POWER = np.array([0.8, 0.8, 0.9, 1.0, 1.2, 1.5, 1.7, 1.8, 1.6, 1.0, 0.8, 0.8])
# fmt: on
_DAILY = {t: sum(HOURLY[t]) for t in BuildingType}
USAGE = {t: _DAILY[t] / _DAILY[BuildingType.RESIDENTIAL] for t in BuildingType}
# Typical durations (seconds): lognormal medians and minimums; see draw_durations_s.
MEDIAN_S = np.array([900, 600, 900, 900, 5, 4, 1200, 1200, 1800, 1800, 0], dtype=np.float64)
MIN_S = np.array([90, 60, 60, 60, 3, 2, 120, 120, 300, 600, 0], dtype=np.float64)


@dataclass(frozen=True)
class FleetFactors:
    """Per-elevator factor columns (in fleet order)."""

    elevator_id: npt.NDArray[np.int64]
    install_ordinal: npt.NDArray[np.int64]
    tech: F64
    credit: F64
    mgmt: F64
    condition: F64
    usage: F64
    urban: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, fleet: Fleet) -> FleetFactors:
        from domain.districts import district_by_name

        comp = {c.id: c for c in fleet.companies}
        mgmt = {u.id: u.management_level for u in fleet.user_units}
        es = fleet.elevators
        urban = {d: district_by_name(d).urban for d in {e.district for e in es}}
        return cls(
            elevator_id=np.fromiter((e.id for e in es), np.int64, len(es)),
            install_ordinal=np.fromiter(
                (e.install_date.toordinal() for e in es), np.int64, len(es)
            ),
            tech=np.fromiter((comp[e.company_id].tech_level for e in es), np.float64, len(es)),
            credit=np.fromiter((comp[e.company_id].credit_score for e in es), np.float64, len(es)),
            # An unidentified user unit counts as the poorest management.
            mgmt=np.fromiter(
                (mgmt.get(e.user_unit_id, 1) if e.user_unit_id else 1 for e in es),
                np.float64,
                len(es),
            ),
            condition=np.fromiter((e.condition for e in es), np.float64, len(es)),
            usage=np.fromiter((USAGE[e.building_type] for e in es), np.float64, len(es)),
            urban=np.fromiter((urban[e.district] for e in es), np.bool_, len(es)),
        )


def fault_rates(fleet: Fleet | FleetFactors, on: date) -> F64:
    """Daily rate of each kind in :data:`FAULT_KINDS` (elevators x kinds) on that date."""
    f = fleet if isinstance(fleet, FleetFactors) else FleetFactors.of(fleet)
    age = (on.toordinal() - f.install_ordinal) / 365.25
    z = (
        np.outer((age - 10.0) / 10.0, A_AGE)
        + np.outer(3.0 - f.tech, A_TECH)
        + np.outer((75.0 - f.credit) / 10.0, A_CREDIT)
        + np.outer(3.0 - f.mgmt, A_MGMT)
        + np.outer((f.condition - 0.25) * 4.0, A_COND)
    )
    usage = f.usage[:, None] ** U[None, :]
    season = np.ones(K)
    season[1:3] = SEASON_DOOR[on.month - 1]
    season[8] = SEASON_POWER[on.month - 1] * 1.0
    outer = np.where(f.urban, 1.0, 1.4)  # weaker grid outside the core
    rates: F64 = BASE[None, :] * usage * season[None, :] * np.exp(z)
    rates[:, 8] *= outer
    return rates


def draw_durations_s(kind_index: npt.NDArray[np.int64], rng: np.random.Generator) -> F64:
    """How long each fault lasts (seconds): lognormal around the kind's median."""
    med = MEDIAN_S[kind_index]
    d: F64 = np.maximum(MIN_S[kind_index], med * rng.lognormal(0.0, 0.6, kind_index.size))
    return d


def day_start_ms(d: date) -> int:
    """Epoch ms of local (UTC+8) midnight starting that date."""
    return int(datetime.combine(d, time(0), LOCAL_TZ).timestamp() * 1000)


def simulate_fault_history(
    fleet: Fleet, start: date, days: int, seed: int, scale: float = 1.0
) -> list[GroundTruth]:
    """Faults drawn from :func:`fault_rates` over ``days`` days from ``start`` (local time).

    One record per physical fault (no telemetry), sorted by start. Rates are evaluated
    per 30-day chunk; times of day follow the passenger demand of the building type for
    the elevator-caused kinds and are uniform for power cuts and terminal outages.
    Entrapments carry ``detail`` "at_landing" (70 %) or "between_floors".
    """
    rng = np.random.default_rng(seed)
    f = FleetFactors.of(fleet)
    types = [e.building_type for e in fleet.elevators]
    tindex = {t: i for i, t in enumerate(BuildingType)}
    btype = np.fromiter((tindex[t] for t in types), np.int64, len(types))
    hour_p = np.array([np.asarray(HOURLY[t]) / sum(HOURLY[t]) for t in BuildingType])
    hour_cdf = np.cumsum(hour_p, axis=1)
    ev_all: list[npt.NDArray[np.int64]] = []
    kind_all: list[npt.NDArray[np.int64]] = []
    start_all: list[npt.NDArray[np.int64]] = []
    t0 = day_start_ms(start)
    for chunk in range(0, days, 30):
        span = min(30, days - chunk)
        rates = fault_rates(f, start + timedelta(days=chunk + span // 2)) * scale
        counts = rng.poisson(rates * span)
        ev, kind = np.nonzero(counts)
        reps = counts[ev, kind]
        ev, kind = np.repeat(ev, reps), np.repeat(kind, reps)
        day = rng.integers(chunk, chunk + span, ev.size)
        demand_driven = U[kind] > 0
        hour = np.where(
            demand_driven,
            (rng.random(ev.size)[:, None] > hour_cdf[btype[ev]]).sum(axis=1),
            rng.integers(0, 24, ev.size),
        )
        within = (rng.random(ev.size) * 3_600_000).astype(np.int64)
        ev_all.append(ev)
        kind_all.append(kind)
        start_all.append(t0 + day * DAY_MS + np.minimum(hour, 23) * 3_600_000 + within)
    ev = np.concatenate(ev_all) if ev_all else np.empty(0, np.int64)
    kind = np.concatenate(kind_all) if kind_all else np.empty(0, np.int64)
    st = np.concatenate(start_all) if start_all else np.empty(0, np.int64)
    dur_ms = (draw_durations_s(kind, rng) * 1000).astype(np.int64)
    between = rng.random(ev.size) < 0.3
    order = np.lexsort((f.elevator_id[ev], st))
    names = [k.value for k in FAULT_KINDS]
    eid = f.elevator_id[ev].tolist()
    return [
        GroundTruth(
            elevator_id=eid[i],
            kind=names[kind[i]],
            start_ms=int(st[i]),
            end_ms=int(st[i] + dur_ms[i]),
            is_fault=True,
            detail=("between_floors" if between[i] else "at_landing") if kind[i] == 0 else "",
        )
        for i in order.tolist()
    ]
