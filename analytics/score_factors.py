"""The five factor scores of the Guangzhou "3+2" maintenance score, vectorised over the
whole fleet (pure numpy); :mod:`analytics.score` weighs and grades them.

Each factor score runs 0 (worst) .. 100 (best): the elevator's age, its maintenance
company's technical level, its user unit's management level, the company's credit
score, and AI monitoring of the elevator's actual condition. Every factor is itself a
weighted mean of sub-scores. A sub-score whose input is unknown (NaN) is left out and the
remaining sub-weights are renormalised; a factor with no known input at all takes the
neutral :data:`NEUTRAL` (50). The curves and sub-weights are our design (no official
ones are published); docs/maintenance.md gives each derivation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from domain.fleet import BuildingType

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

FACTORS: tuple[str, ...] = ("age", "company", "user_unit", "credit", "monitoring")
NEUTRAL = 50.0
BLOCK = 32_768  # elevators a block of the per-elevator factor computation


# Age: usage intensity by building type stretches calendar years into "effective" years:
# wear follows trips, and public buildings run far more trips a day than homes (ratios of
# daily trips to a residential building's, as in the simulator's passenger-demand model;
# replace them with measured run counters where available).
BUILDING_TYPES: tuple[BuildingType, ...] = tuple(BuildingType)
USAGE_FACTOR: dict[BuildingType, float] = {
    BuildingType.RESIDENTIAL: 1.0,
    BuildingType.OFFICE: 1.7,
    BuildingType.HOSPITAL: 1.75,
    BuildingType.MALL: 1.6,
    BuildingType.METRO: 1.5,
}
# Score by effective age: new units near 100; the usual 15-year design life at 60; past
# 25 effective years (major overhaul / replacement age) 15 and less.
AGE_KNOTS = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0])
AGE_SCORES = np.array([100.0, 95.0, 80.0, 60.0, 35.0, 15.0, 0.0])

# Company: registered technical level, staffing, its fleet's record, punctuality, rescue.
COMPANY_SUBWEIGHTS = {
    "tech_level": 0.3,
    "staffing": 0.1,
    "fault_rate": 0.2,
    "entrapment_rate": 0.15,
    "on_time": 0.15,
    "arrival": 0.1,
}
ELEVATORS_PER_TECH_KNOTS = np.array([0.0, 25.0, 40.0, 80.0])  # <= 25 per technician: full
ELEVATORS_PER_TECH_SCORES = np.array([100.0, 100.0, 50.0, 0.0])
ON_TIME_KNOTS = np.array([0.80, 1.0])  # 80 % on time: 0, 100 %: 100
ARRIVAL_KNOTS_MIN = np.array([10.0, 25.0])  # vendor health radar: <= 10 min best, > 25 worst

# User unit: management (the recorded 日管控、周排查、月调度 completion where the unit keeps
# its records in liftwatch, else the registered level), safety staff, complaints, misuse,
# inspection (docs/maintenance.md).
UNIT_SUBWEIGHTS = {
    "management_level": 0.5,
    "safety_manager": 0.1,
    "complaints": 0.1,
    "misuse": 0.15,
    "inspection": 0.15,
}
COMPLAINTS_SCALE = 3.0  # score = 100 * exp(-complaints / scale)
MISUSE_SCALE = 3.0  # door-blocking events in 90 days

# Credit: the grade and the score record, half each.
CREDIT_GRADE_SCORE = np.array([100.0, 60.0, 20.0])  # A, B, C

# AI monitoring: recent events, the condition index, the online rate.
MONITORING_SUBWEIGHTS = {"events": 0.4, "condition": 0.45, "online": 0.15}
ENTRAPMENT_WEIGHT = 3.0  # an entrapment counts as three faults
ANOMALY_WEIGHT = 0.5  # an anomaly as half a fault
OLDER_WEIGHT = 0.5  # events 31-90 days ago count half of those in the last 30 days
EVENT_LOAD_SCALE = 4.0  # score = 100 * exp(-load / scale)


@dataclass(frozen=True)
class ScoreInputs:
    """Per-elevator inputs, each an array of the fleet's length (NaN: unknown)."""

    age_years: Floats
    building_type: Ints  # index into BUILDING_TYPES, -1 unknown (usage factor 1)
    # company (broadcast to its elevators)
    tech_level: Floats  # registered 1..5
    elevators_per_technician: Floats  # inf when it has no certified staff
    company_fault_rate: Floats  # faults per elevator in the window, over its fleet
    company_entrapment_rate: Floats  # entrapments per elevator in the window
    on_time_rate: Floats  # 0..1 of records finished by their due date
    mean_arrival_min: Floats  # mean rescue arrival on its elevators
    # user unit
    management_level: Floats  # registered 1..5, NaN when no user unit is identified
    safety_manager: Bools
    complaints: Floats
    misuse_90d: Floats  # door-blocking (repeated door cycles) events
    inspection_valid: Bools
    # credit
    credit_grade: Ints  # 0 = A, 1 = B, 2 = C
    credit_score: Floats  # 0..100
    # AI monitoring
    faults_30d: Floats
    faults_90d: Floats  # includes the last 30 days
    entrapments_30d: Floats
    entrapments_90d: Floats
    anomalies_30d: Floats
    anomalies_90d: Floats
    condition_index: Floats  # 0..100 (100 healthy)
    online_rate: Floats  # 0..1 over the last 30 days
    # Optional: each elevator's company (0..k-1) when the company inputs above are equal
    # for all elevators of a company; the company factor is then computed once a company.
    company: Ints | None = None
    # Optional: the user unit's recorded check completion 0..1 (NaN: keeps no records);
    # where known it replaces the registered management level.
    checks_completion: Floats | None = None

    def __len__(self) -> int:
        return int(self.age_years.shape[0])

    def rows(self, start: int, stop: int) -> ScoreInputs:
        """The elevators ``start:stop`` (views, no copy)."""
        part: dict[str, Any] = {}
        for f in fields(self):
            column = getattr(self, f.name)
            part[f.name] = None if column is None else column[start:stop]
        return ScoreInputs(**part)

    def company_inputs(self, rows: Ints | None = None) -> CompanyInputs:
        """The company factor's inputs (of the elevators at ``rows``, or all)."""
        return CompanyInputs(
            *(
                getattr(self, name) if rows is None else getattr(self, name)[rows]
                for name in COMPANY_INPUTS
            )
        )


COMPANY_INPUTS = (
    "tech_level",
    "elevators_per_technician",
    "company_fault_rate",
    "company_entrapment_rate",
    "on_time_rate",
    "mean_arrival_min",
)


class CompanyInputs(NamedTuple):
    """The company factor's inputs (:data:`COMPANY_INPUTS` of :class:`ScoreInputs`)."""

    tech_level: Floats
    elevators_per_technician: Floats
    company_fault_rate: Floats
    company_entrapment_rate: Floats
    on_time_rate: Floats
    mean_arrival_min: Floats


def blend(parts: Sequence[tuple[float, Floats]], n: int) -> Floats:
    """Weighted mean of sub-scores, skipping unknown (NaN) ones; NEUTRAL if none known."""
    num = np.zeros(n)
    den: Floats | None = None  # per elevator, only when some sub-score is partly unknown
    den_all = 0.0  # weight of the sub-scores known for every elevator (the usual case)
    scratch = np.empty(n)
    for weight, sub in parts:
        np.multiply(sub, weight, out=scratch)
        known = np.isfinite(scratch)
        if known.all():
            den_all += weight
        else:
            scratch[~known] = 0.0
            den = weight * known if den is None else den + weight * known
        num += scratch
    if den is None:
        if den_all <= 0:
            return np.full(n, NEUTRAL)
        num /= den_all
        return num
    den += den_all
    out = np.full(n, NEUTRAL)
    np.divide(num, den, out=out, where=den > 0)
    return out


def decay(count: Floats, scale: float) -> Floats:
    """``100 * exp(-max(count, 0) / scale)``: 100 at none, a third less per ``scale``."""
    out = np.maximum(count, 0.0)
    out *= -1.0 / scale
    np.exp(out, out=out)
    out *= 100.0
    return out


def piecewise(x: Floats, knots: Floats, values: Floats) -> Floats:
    """Piecewise-linear curve through (knots, values), flat outside; NaN stays NaN.

    Each value's segment is counted by comparisons with the inner knots (a few passes of
    cheap comparisons beat ``np.interp``'s and ``searchsorted``'s binary search per value).
    """
    slope = np.diff(values) / np.diff(knots)
    intercept = values[:-1] - slope * knots[:-1]
    segment = np.zeros(x.shape, dtype=np.intp)
    for k in knots[1:-1]:
        segment += x >= k
    out = np.clip(x, knots[0], knots[-1])
    out *= slope[segment]
    out += intercept[segment]
    return out


def age_factor(age_years: Floats, building_type: Ints) -> Floats:
    usage = np.array([USAGE_FACTOR[b] for b in BUILDING_TYPES] + [1.0])
    bt = np.clip(building_type, -1, len(BUILDING_TYPES))  # out of range: the 1.0 at -1
    effective = np.maximum(age_years, 0.0) * usage[bt]
    return piecewise(effective, AGE_KNOTS, AGE_SCORES)  # NaN stays NaN


def relative_rate_score(rate: Floats, reference: float) -> Floats:
    """100 at zero, 50 at the reference rate (the city mean), halving per reference."""
    if not np.isfinite(reference) or reference <= 0:
        return rate * 0.0 + 100.0  # NaN stays NaN
    return 100.0 * np.exp2(-np.maximum(rate, 0.0) / reference)


def level_score(level: Floats) -> Floats:
    """A registered 1..5 level as 0..100."""
    return np.clip((level - 1.0) * 25.0, 0.0, 100.0)


def company_factor(x: CompanyInputs, fault_ref: float, entrapment_ref: float) -> Floats:
    staffing = piecewise(
        x.elevators_per_technician, ELEVATORS_PER_TECH_KNOTS, ELEVATORS_PER_TECH_SCORES
    )
    on_time = piecewise(x.on_time_rate, ON_TIME_KNOTS, np.array([0.0, 100.0]))
    arrival = piecewise(x.mean_arrival_min, ARRIVAL_KNOTS_MIN, np.array([100.0, 0.0]))
    w = COMPANY_SUBWEIGHTS
    return blend(
        [
            (w["tech_level"], level_score(x.tech_level)),
            (w["staffing"], staffing),
            (w["fault_rate"], relative_rate_score(x.company_fault_rate, fault_ref)),
            (w["entrapment_rate"], relative_rate_score(x.company_entrapment_rate, entrapment_ref)),
            (w["on_time"], on_time),
            (w["arrival"], arrival),
        ],
        x.tech_level.shape[0],
    )


def _percent(flag: Bools) -> Floats:
    return flag.astype(np.float64) * 100.0


def management_score(level: Floats, completion: Floats | None) -> Floats:
    """The unit's management sub-score: 100 x its recorded check completion where known,
    else its registered level; no identified user unit (level NaN) scores 0: nobody
    answers for the elevator's use."""
    registered = np.nan_to_num(level_score(level), nan=0.0)
    if completion is None:
        return registered
    recorded = 100.0 * np.clip(completion, 0.0, 1.0)
    return np.where(np.isfinite(recorded), recorded, registered)


def user_unit_factor(x: ScoreInputs) -> Floats:
    n = len(x)
    w = UNIT_SUBWEIGHTS
    level = management_score(x.management_level, x.checks_completion)
    return blend(
        [
            (w["management_level"], level),
            (w["safety_manager"], _percent(x.safety_manager)),
            (w["complaints"], decay(x.complaints, COMPLAINTS_SCALE)),
            (w["misuse"], decay(x.misuse_90d, MISUSE_SCALE)),
            (w["inspection"], _percent(x.inspection_valid)),
        ],
        n,
    )


def credit_factor(x: ScoreInputs) -> Floats:
    g = np.clip(x.credit_grade, 0, len(CREDIT_GRADE_SCORE) - 1)
    grade = CREDIT_GRADE_SCORE[g]
    return blend([(0.5, grade), (0.5, np.clip(x.credit_score, 0.0, 100.0))], len(x))


def event_load(x: ScoreInputs) -> Floats:
    """Faults-equivalent of the last 90 days: recent events weigh double."""

    def weighted(faults: Floats, entrapments: Floats, anomalies: Floats) -> Floats:
        return faults + ENTRAPMENT_WEIGHT * entrapments + ANOMALY_WEIGHT * np.nan_to_num(anomalies)

    recent = weighted(x.faults_30d, x.entrapments_30d, x.anomalies_30d)
    older = weighted(
        x.faults_90d - x.faults_30d,
        x.entrapments_90d - x.entrapments_30d,
        x.anomalies_90d - x.anomalies_30d,
    )
    return np.maximum(recent, 0.0) + OLDER_WEIGHT * np.maximum(older, 0.0)


def monitoring_factor(x: ScoreInputs) -> Floats:
    w = MONITORING_SUBWEIGHTS
    events = decay(event_load(x), EVENT_LOAD_SCALE)
    return blend(
        [
            (w["events"], events),
            (w["condition"], np.clip(x.condition_index, 0.0, 100.0)),
            (w["online"], 100.0 * np.clip(x.online_rate, 0.0, 1.0)),
        ],
        len(x),
    )


def _mean_rate(rate: Floats, count: Floats | None = None) -> float:
    """The mean of the known rates, each counted ``count`` times (default once)."""
    known = np.isfinite(rate)
    weight = known * (1.0 if count is None else count)
    total = float(weight.sum())
    return float(np.where(known, rate, 0.0) @ weight) / total if total else float("nan")


def fleet_company_factor(x: ScoreInputs) -> Floats:
    """:func:`company_factor` of every elevator, the rates judged against the fleet's mean
    (over elevators); once a company when ``x.company`` is given."""
    if x.company is None or len(x) == 0:
        fault_ref = _mean_rate(x.company_fault_rate)
        entrapment_ref = _mean_rate(x.company_entrapment_rate)
        return company_factor(x.company_inputs(), fault_ref, entrapment_ref)
    count = np.bincount(x.company).astype(np.float64)  # elevators of each company
    present = count > 0
    # One elevator of each company with elevators (its last), in company order.
    last = np.zeros(count.shape[0], dtype=np.int64)
    last[x.company] = np.arange(len(x))
    rows = last[present]
    companies = x.company_inputs(rows)
    fault_ref = _mean_rate(companies.company_fault_rate, count[present])
    entrapment_ref = _mean_rate(companies.company_entrapment_rate, count[present])
    per_company = company_factor(companies, fault_ref, entrapment_ref)
    compact = np.cumsum(present) - 1  # company -> position among rows
    out: Floats = per_company[compact[x.company]]
    return out


def factor_matrix(x: ScoreInputs) -> Floats:
    """The (n, 5) factor scores; company rates are judged against the fleet's mean. An
    unknown factor (no input at all, e.g. no install date) is :data:`NEUTRAL`.

    The per-elevator factors go through the fleet in blocks of :data:`BLOCK` elevators,
    so that the temporary arrays of each step stay in the processor's cache."""
    n = len(x)
    # Column-major: each factor is contiguous, so the per-factor passes are fast.
    out: Floats = np.empty((n, len(FACTORS)), order="F")
    _set_factor(out, FACTORS.index("company"), fleet_company_factor(x))
    per_elevator = (
        (FACTORS.index("age"), lambda p: age_factor(p.age_years, p.building_type)),
        (FACTORS.index("user_unit"), user_unit_factor),
        (FACTORS.index("credit"), credit_factor),
        (FACTORS.index("monitoring"), monitoring_factor),
    )
    for lo in range(0, n, BLOCK):
        part = x.rows(lo, lo + BLOCK)
        block = out[lo : lo + BLOCK]
        for i, factor in per_elevator:
            _set_factor(block, i, factor(part))
    return out


def _set_factor(factors: Floats, i: int, column: Floats) -> None:
    factors[:, i] = column
    if not np.isfinite(column).all():
        factors[~np.isfinite(column), i] = NEUTRAL


def set_company_factor(factors: Floats, x: ScoreInputs) -> None:
    """Put the company factor of ``x`` into ``factors`` (:func:`factor_matrix`), in place:
    for inputs that differ from those of ``factors`` only in the company factor's inputs,
    ``factors`` is then :func:`factor_matrix` of ``x``."""
    _set_factor(factors, FACTORS.index("company"), fleet_company_factor(x))
