"""On-demand maintenance policy: eligibility, the half-monthly-item interval, due dates.

Pure and vectorised over the fleet (numpy arrays in, arrays out). Every decision carries
its reasons as a bit mask of :class:`Reason` codes; :func:`explain` turns one mask into
the list of codes and texts stored with the plan.

Rules and their sources (docs/maintenance.md):
- Eligibility (national notice 2020 / Shenzhen / Shanghai pilots): IoT monitoring
  installed and online, liability insurance in force, inspection valid and the elevator
  in service, maintenance company licensed and not credit-rated C, user unit
  identified. Guangzhou 2024 company conditions (paperless with on-time rate >= 95 %,
  >= 400 elevators maintained) are optional settings, off by default.
- Ineligible: the statutory 15 days (TSG T5002).
- Eligible: the interval of the elevator's grade (our design), capped at 30 days, or 90
  days with IoT connected with normal data exchange (Shenzhen 2020).
- Quarterly, half-yearly and yearly items keep their periods (TSG T5002 annexes B-D).
- An entrapment or serious fault after the last visit: a visit within N days (our
  design); that visit restarts the interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntFlag

import numpy as np
from numpy.typing import NDArray

from domain.alarms import AlarmType
from maintenance.config import ScoreSettings

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

LEVELS: tuple[str, ...] = ("half_monthly", "quarterly", "half_yearly", "yearly")
EPOCH = date(1970, 1, 1)
NO_DAY = -(2**31)  # "no date" in day-number arrays (as the repositories store it)

# Faults that call for a visit within days, besides entrapments (our design: the ones
# that point at a safety component: door lock/safety circuit, drive, brakes, limits).
SERIOUS_TYPES: frozenset[AlarmType] = frozenset(
    {
        AlarmType.ENTRAPMENT,
        AlarmType.DOOR_OPEN_WHILE_RUNNING,
        AlarmType.OVERSPEED,
        AlarmType.OVERTRAVEL_TOP,
        AlarmType.OVERTRAVEL_BOTTOM,
        AlarmType.SAFETY_CIRCUIT,
        AlarmType.STOPPED_OUTSIDE_DOOR_ZONE,
    }
)


class Reason(IntFlag):
    IOT_OFFLINE = 1
    NO_INSURANCE = 2
    INSPECTION_INVALID = 4
    OUT_OF_SERVICE = 8
    COMPANY_UNLICENSED = 16
    COMPANY_CREDIT_C = 32
    USER_UNIT_UNKNOWN = 64
    GZ_NOT_PAPERLESS = 128
    GZ_ON_TIME_LOW = 256
    GZ_FLEET_SMALL = 512
    STATUTORY = 1024  # ineligible: the statutory interval
    ELIGIBLE = 2048
    IOT_NORMAL = 4096  # eligible with normal IoT data exchange: the longer cap
    CAPPED = 8192  # the grade's interval exceeded the cap
    URGENT_VISIT = 16384  # entrapment or serious fault since the last visit


INELIGIBLE = (
    Reason.IOT_OFFLINE
    | Reason.NO_INSURANCE
    | Reason.INSPECTION_INVALID
    | Reason.OUT_OF_SERVICE
    | Reason.COMPANY_UNLICENSED
    | Reason.COMPANY_CREDIT_C
    | Reason.USER_UNIT_UNKNOWN
    | Reason.GZ_NOT_PAPERLESS
    | Reason.GZ_ON_TIME_LOW
    | Reason.GZ_FLEET_SMALL
)

_TEXT: dict[Reason, str] = {
    Reason.IOT_OFFLINE: "IoT monitoring terminal is not online",
    Reason.NO_INSURANCE: "no liability insurance in force",
    Reason.INSPECTION_INVALID: "periodic inspection is not valid",
    Reason.OUT_OF_SERVICE: "elevator is not in service",
    Reason.COMPANY_UNLICENSED: "maintenance company is not licensed",
    Reason.COMPANY_CREDIT_C: "maintenance company is credit-rated C",
    Reason.USER_UNIT_UNKNOWN: "no user unit identified",
    Reason.GZ_NOT_PAPERLESS: "company does not run paperless maintenance (Guangzhou 2024)",
    Reason.GZ_ON_TIME_LOW: "company on-time maintenance rate below the Guangzhou minimum",
    Reason.GZ_FLEET_SMALL: "company maintains fewer elevators than the Guangzhou minimum",
    Reason.STATUTORY: "not eligible for on-demand maintenance: statutory {statutory} days",
    Reason.ELIGIBLE: "eligible for on-demand maintenance: grade {grade} interval {grade_days} days",
    Reason.IOT_NORMAL: "IoT connected with normal data exchange: cap {cap_iot} days",
    Reason.CAPPED: "interval capped at {cap} days",
    Reason.URGENT_VISIT: (
        "entrapment or serious fault since the last visit: visit within {urgent} days"
    ),
}


@dataclass(frozen=True)
class PolicyInputs:
    """Per-elevator facts the policy needs (arrays of the fleet's length)."""

    online: Bools  # terminal online now
    online_rate: Floats  # share of the last 30 days online, NaN unknown
    insurance_valid: Bools
    inspection_valid: Bools
    in_service: Bools
    company_licensed: Bools
    company_credit_grade: Ints  # 0 = A, 1 = B, 2 = C
    user_unit_known: Bools
    company_paperless: Bools
    company_on_time_rate: Floats  # NaN unknown
    company_elevators: Ints


@dataclass(frozen=True)
class PolicyDecision:
    eligible: Bools
    interval_days: Ints  # half-monthly items
    reasons: Ints  # Reason bit mask per elevator


@dataclass(frozen=True)
class Eligibility:
    """What the decision takes from the facts alone, before the grade is known."""

    eligible: Bools
    cap_days: Ints  # the cap of an eligible elevator's interval
    reasons: Ints  # Reason bit mask: the failed conditions, STATUTORY / ELIGIBLE, IOT_NORMAL


def eligibility(x: PolicyInputs, s: ScoreSettings) -> Eligibility:
    """Eligibility for on-demand maintenance and the cap of the interval, per elevator."""
    mask = np.zeros(x.online.shape[0], dtype=np.int64)

    def flag(cond: Bools, reason: Reason) -> None:
        mask[:] |= cond * np.int64(reason)  # (faster than a where= or astype form)

    flag(~x.online, Reason.IOT_OFFLINE)
    flag(~x.insurance_valid, Reason.NO_INSURANCE)
    flag(~x.inspection_valid, Reason.INSPECTION_INVALID)
    flag(~x.in_service, Reason.OUT_OF_SERVICE)
    flag(~x.company_licensed, Reason.COMPANY_UNLICENSED)
    flag(x.company_credit_grade >= 2, Reason.COMPANY_CREDIT_C)
    flag(~x.user_unit_known, Reason.USER_UNIT_UNKNOWN)
    if s.guangzhou_company_rules:
        flag(~x.company_paperless, Reason.GZ_NOT_PAPERLESS)
        on_time_ok = np.nan_to_num(x.company_on_time_rate, nan=0.0) >= s.gz_min_on_time_rate
        flag(~on_time_ok, Reason.GZ_ON_TIME_LOW)
        flag(x.company_elevators < s.gz_min_elevators, Reason.GZ_FLEET_SMALL)
    eligible = (mask & int(INELIGIBLE)) == 0
    # NaN >= rate is False: an unknown online rate is not "normal data exchange".
    iot_normal = eligible & x.online & (x.online_rate >= s.iot_normal_online_rate)
    flag(~eligible, Reason.STATUTORY)
    flag(eligible, Reason.ELIGIBLE)
    flag(iot_normal, Reason.IOT_NORMAL)
    cap = np.where(iot_normal, np.int64(s.cap_days_iot), np.int64(s.cap_days))
    return Eligibility(eligible=eligible, cap_days=cap, reasons=mask)


def decide(
    x: PolicyInputs, grade: Ints, s: ScoreSettings, base: Eligibility | None = None
) -> PolicyDecision:
    """Eligibility and half-monthly-item interval for every elevator (``base``: the
    :func:`eligibility` of ``x`` when already known)."""
    e = base if base is not None else eligibility(x, s)
    grade_days = np.asarray(s.grade_interval_days, dtype=np.int64)[np.clip(grade, 0, 3)]
    capped = e.eligible & (grade_days > e.cap_days)
    np.minimum(grade_days, e.cap_days, out=grade_days)
    interval = np.where(e.eligible, grade_days, np.int64(s.statutory_interval_days))
    reasons = e.reasons | capped * np.int64(Reason.CAPPED)
    return PolicyDecision(eligible=e.eligible, interval_days=interval, reasons=reasons)


def level_periods(s: ScoreSettings) -> dict[str, int]:
    """The fixed periods of the higher item levels (TSG T5002)."""
    return {
        "quarterly": s.quarterly_days,
        "half_yearly": s.half_yearly_days,
        "yearly": s.yearly_days,
    }


def levels_covered(level: str) -> tuple[str, ...]:
    """A visit of ``level`` also does every level below it (TSG T5002 annexes)."""
    if level not in LEVELS:
        raise ValueError(f"unknown maintenance level {level!r}")
    return LEVELS[: LEVELS.index(level) + 1]


def due_days(
    last_done: Ints,
    interval_days: Ints,
    as_of: int,
    serious_since: Ints,
    urgent_days: int,
    last_visit: Ints | None = None,
) -> tuple[Ints, Bools]:
    """Next due day numbers (days since 1970-01-01) and whether an urgent visit set them.

    Never maintained (``NO_DAY``): due on ``as_of``. A serious event after the last
    visit of any kind (``last_visit``, default ``last_done``; a repair visit counts) brings
    the due date forward to ``event + urgent_days``; the visit then restarts the interval.
    """
    visit = last_done if last_visit is None else np.maximum(last_visit, last_done)
    known = last_done != NO_DAY
    base = np.where(known, last_done + interval_days, as_of)
    has_event = serious_since != NO_DAY
    urgent = has_event & ((visit == NO_DAY) | (serious_since > visit))
    due = np.where(urgent, np.minimum(base, serious_since + urgent_days), base)
    return due.astype(np.int64), urgent


# The company on-time rate (docs/maintenance.md, company factor): judged from the
# maintenance records against each elevator's allowed interval, never from the score job's
# own work orders, so a rerun at the same instant sees the same rate. The window, the
# look-back and the grace days are ScoreSettings.on_time_*.


def on_time_rates(
    company: Ints,
    n_companies: int,
    allowed: Ints,
    visit_elevator: Ints,
    visit_gap: Ints,
    last_visit: Ints,
    in_service: Bools,
    days_in_service: Floats,
    as_of: int,
    grace: int,
) -> Floats:
    """Per company: the share of its maintenance visits made within the allowed interval.

    ``company`` (index 0..n_companies-1), ``allowed`` (interval in days), ``last_visit``
    (day number, ``NO_DAY`` never), ``in_service`` and ``days_in_service`` are per
    elevator; ``visit_elevator`` (elevator position) and ``visit_gap`` (days since the
    previous visit) per judged visit. A visit is late when its gap exceeds the elevator's
    allowed interval plus ``grace``; an elevator in service whose last visit (or
    installation, when never visited) is older than that counts as one more late visit.
    NaN for a company with nothing to judge.
    """
    limit = allowed + grace
    late_visit = visit_gap > limit[visit_elevator]
    since = np.where(last_visit != NO_DAY, as_of - last_visit, days_in_service)
    overdue = in_service & (since > limit)
    visit_company = company[visit_elevator]
    overdue_count = np.bincount(company, weights=overdue, minlength=n_companies)
    judged = np.bincount(visit_company, minlength=n_companies) + overdue_count
    late = np.bincount(visit_company, weights=late_visit, minlength=n_companies) + overdue_count
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(judged > 0, 1.0 - late / np.maximum(judged, 1.0), np.nan)


def explain(mask: int, grade: str, s: ScoreSettings) -> list[dict[str, str]]:
    """The reasons of one decision: [{"code": ..., "text": ...}] in a fixed order."""
    grade_index = "ABCD".index(grade) if grade in "ABCD" and grade else 3
    values = {
        "statutory": s.statutory_interval_days,
        "grade": grade,
        "grade_days": s.grade_interval_days[grade_index],
        "cap": s.cap_days_iot if mask & Reason.IOT_NORMAL else s.cap_days,
        "cap_iot": s.cap_days_iot,
        "urgent": s.urgent_visit_days,
    }
    out: list[dict[str, str]] = []
    for reason in Reason:
        if mask & reason:
            name = reason.name or str(int(reason))
            out.append({"code": name.lower(), "text": _TEXT[reason].format(**values)})
    return out


def to_day(d: date) -> int:
    return (d - EPOCH).days


def from_day(day: int) -> date:
    return EPOCH + timedelta(days=int(day))
