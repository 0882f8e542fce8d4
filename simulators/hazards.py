"""A simulated year of hazards (隐患) with a ground truth: findings arrive per elevator at
a rate that rises with its faults; each has a source, a category and the party that must
remediate it; the time to remediate is drawn per party (a company's technicians, or the
user unit, slower the less diligent it is), some are sent back once, a few of a neglectful
unit's are never remediated. The product grades them and judges deadlines itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from domain.fleet import Fleet
from simulators.risk import fault_rates
from simulators.units import UnitBehaviour, elevator_units

F64 = npt.NDArray[np.float64]

FINDINGS_PER_YEAR = 0.6  # per elevator of the fleet's mean fault rate
SOURCES = ("inspection", "maintenance", "spot_check", "complaint")
SOURCE_P = (0.3, 0.4, 0.1, 0.2)
# category, party, probability (serious categories are rarer, as in practice)
CATEGORIES: tuple[tuple[str, str, float], ...] = (
    ("door", "company", 0.22),
    ("car", "company", 0.10),
    ("emergency_call", "company", 0.08),
    ("pit", "company", 0.06),
    ("signage", "user_unit", 0.12),
    ("machine_room", "user_unit", 0.12),
    ("misuse", "user_unit", 0.08),
    ("other", "user_unit", 0.07),
    ("brake", "company", 0.05),
    ("door_lock", "company", 0.05),
    ("safety_device", "company", 0.03),
    ("traction", "company", 0.02),
)
SERIOUS = frozenset({"brake", "door_lock", "safety_device", "traction"})
# Median days to remediate: (general, serious); a user unit's scaled by 0.6 / diligence.
MEDIAN_DAYS = {"company": (9.0, 4.0), "user_unit": (14.0, 6.0)}
SEND_BACK_P = 0.1


@dataclass(frozen=True)
class SimHazard:
    elevator_id: int
    source: str
    category: str
    party: str
    reported_day: float  # days from the year's start
    remediated_day: float | None  # None: not remediated within the year
    verified_day: float | None
    closed_day: float | None
    sent_back: bool


def simulate_hazards(
    fleet: Fleet, behaviour: UnitBehaviour, start: date, days: int, seed: int
) -> list[SimHazard]:
    rng = np.random.default_rng(seed)
    rate = fault_rates(fleet, start).sum(axis=1)
    per_day = FINDINGS_PER_YEAR / 365.0 * rate / rate.mean()
    counts = rng.poisson(per_day * days)
    ev = np.repeat(np.arange(len(fleet.elevators)), counts)
    diligence = behaviour.of(elevator_units(fleet))[ev]
    reported = rng.random(ev.size) * days
    source = rng.choice(len(SOURCES), ev.size, p=SOURCE_P)
    cat_p = np.array([c[2] for c in CATEGORIES])
    category = rng.choice(len(CATEGORIES), ev.size, p=cat_p / cat_p.sum())
    out: list[SimHazard] = []
    eids = [e.id for e in fleet.elevators]
    for i in range(ev.size):
        name, party, _ = CATEGORIES[category[i]]
        serious = name in SERIOUS
        median = MEDIAN_DAYS[party][int(serious)]
        if party == "user_unit":
            median *= 0.6 / max(diligence[i], 0.05)
        never = party == "user_unit" and rng.random() < 0.15 * (1.0 - diligence[i])
        took = float(median * rng.lognormal(0.0, 0.7))
        sent_back = bool(rng.random() < SEND_BACK_P)
        if sent_back:
            took += float(rng.uniform(2.0, 7.0))
        done = None if never else reported[i] + took
        verified = None if done is None else done + float(rng.uniform(0.5, 5.0))
        closed = None if verified is None else verified + float(rng.uniform(0.0, 2.0))

        def within(x: float | None) -> float | None:
            return x if x is not None and x < days else None

        out.append(
            SimHazard(
                eids[ev[i]],
                SOURCES[source[i]],
                name,
                party,
                float(reported[i]),
                within(done),
                within(verified),
                within(closed),
                sent_back,
            )
        )
    out.sort(key=lambda h: h.reported_day)
    return out
