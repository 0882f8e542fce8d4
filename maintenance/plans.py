"""From fleet facts (structured arrays as :mod:`storage.scores` reads them) to scores,
policy decisions and plan due dates, for the whole fleet at once. No I/O here: the score
job and the back-test feed the same arrays through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analytics.score import ScoreInputs, ScoreResult, score
from domain.alarms import AlarmType
from maintenance.config import ScoreSettings
from maintenance.policy import (
    NO_DAY,
    PolicyDecision,
    PolicyInputs,
    Reason,
    decide,
    due_days,
    explain,
    level_periods,
)

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

# Door blocking / holding shows as repeated door cycles at one floor: misuse, not a fault.
MISUSE_TYPES: frozenset[AlarmType] = frozenset({AlarmType.REPEATED_DOOR_CYCLES})
# Alarms that are not faults of the elevator itself.
NOT_FAULTS: frozenset[AlarmType] = frozenset(
    {
        AlarmType.ENTRAPMENT,  # counted on its own
        AlarmType.ALARM_BUTTON,
        AlarmType.POWER_CUT,
        AlarmType.TERMINAL_OFFLINE,
        AlarmType.ANOMALY,
        AlarmType.MAINTENANCE_OVERDUE,
        *MISUSE_TYPES,
    }
)
FAULT_TYPES: frozenset[AlarmType] = frozenset(AlarmType) - NOT_FAULTS

MONTH_S = 30 * 86400.0
FIXED_LEVEL_KEYS = {"quarterly": -1, "half_yearly": -2, "yearly": -3}


@dataclass(frozen=True)
class FleetFacts:
    """Structured arrays with the columns of storage.scores' *_COLUMNS."""

    elevators: NDArray[Any]  # ELEVATOR_COLUMNS, sorted by elevator_id
    alarms: NDArray[Any]  # ALARM_COLUMNS, sorted by elevator_id (only those with alarms)
    records: NDArray[Any]  # RECORD_COLUMNS, sorted by elevator_id (only those with records)
    companies: NDArray[Any]  # COMPANY_COLUMNS, sorted by company_id


@dataclass(frozen=True)
class FleetScore:
    elevator_id: Ints
    company_id: Ints
    inputs: ScoreInputs
    result: ScoreResult
    decision: PolicyDecision
    due: dict[str, Ints]  # next due day per level
    last: dict[str, Ints]  # last done day per level (NO_DAY: never)
    urgent: NDArray[np.bool_]
    company_elevators: Ints


def _aligned(ids: Ints, rows: NDArray[Any], field: str, default: float) -> NDArray[Any]:
    """``rows[field]`` placed at the positions of ``rows['elevator_id']`` within ``ids``."""
    out = np.full(ids.shape[0], default, dtype=np.asarray(rows[field]).dtype if rows.size else None)
    if rows.size:
        pos = np.searchsorted(ids, rows["elevator_id"])
        ok = (pos < ids.shape[0]) & (ids[np.minimum(pos, ids.shape[0] - 1)] == rows["elevator_id"])
        out[pos[ok]] = rows[field][ok]
    return out


def assemble(f: FleetFacts) -> tuple[ScoreInputs, PolicyInputs, Ints]:
    """Score and policy inputs per elevator, and each elevator's company size."""
    e = f.elevators
    ids = e["elevator_id"].astype(np.int64)
    n = ids.shape[0]

    def alarm(field: str) -> Floats:
        return _aligned(ids, f.alarms, field, 0.0).astype(np.float64)

    company_ids = f.companies["company_id"].astype(np.int64)
    ci = np.searchsorted(company_ids, e["company_id"])
    if (
        n
        and (
            (ci >= company_ids.shape[0])
            | (company_ids[np.minimum(ci, len(company_ids) - 1)] != e["company_id"])
        ).any()
    ):
        raise ValueError("an elevator refers to a company missing from the company facts")
    n_companies = company_ids.shape[0]
    fleet_size = np.bincount(ci, minlength=n_companies).astype(np.float64)
    faults_90d, entrapments_90d = alarm("faults_90d"), alarm("entrapments_90d")
    with np.errstate(divide="ignore", invalid="ignore"):
        fault_rate = np.bincount(ci, weights=faults_90d, minlength=n_companies) / fleet_size
        entrapment_rate = (
            np.bincount(ci, weights=entrapments_90d, minlength=n_companies) / fleet_size
        )
        staff = np.zeros(n_companies)
        staff[ci] = e["certified_staff"]
        per_tech = np.where(staff > 0, fleet_size / np.maximum(staff, 1), np.inf)
        due = f.companies["due_visits"]
        on_time = np.where(due > 0, f.companies["on_time_visits"] / np.maximum(due, 1), np.nan)

    # Anomalies: the condition table's counts when analytics has them, else anomaly alarms.
    anomalies_30d = np.where(
        np.isfinite(e["anomalies_30d"]), e["anomalies_30d"], alarm("anomalies_30d")
    )
    anomalies_90d = np.where(
        np.isfinite(e["anomalies_90d"]), e["anomalies_90d"], alarm("anomalies_90d")
    )
    online_rate = np.where(
        e["has_status"], np.clip(1.0 - alarm("offline_s_30d") / MONTH_S, 0.0, 1.0), 0.0
    )
    inputs = ScoreInputs(
        age_years=e["age_years"].astype(np.float64),
        building_type=e["building_type"].astype(np.int64),
        tech_level=e["tech_level"].astype(np.float64),
        elevators_per_technician=per_tech[ci],
        company_fault_rate=fault_rate[ci],
        company_entrapment_rate=entrapment_rate[ci],
        on_time_rate=on_time[ci],
        mean_arrival_min=f.companies["mean_arrival_min"][ci].astype(np.float64),
        management_level=e["management_level"].astype(np.float64),
        safety_manager=e["safety_manager"].astype(bool),
        complaints=e["complaints"].astype(np.float64),
        misuse_90d=alarm("misuse_90d"),
        inspection_valid=e["inspection_valid"].astype(bool),
        credit_grade=e["credit_grade"].astype(np.int64),
        credit_score=e["credit_score"].astype(np.float64),
        faults_30d=alarm("faults_30d"),
        faults_90d=faults_90d,
        entrapments_30d=alarm("entrapments_30d"),
        entrapments_90d=entrapments_90d,
        anomalies_30d=anomalies_30d,
        anomalies_90d=anomalies_90d,
        condition_index=e["condition_index"].astype(np.float64),
        online_rate=online_rate,
    )
    policy = PolicyInputs(
        online=e["online"].astype(bool),
        online_rate=online_rate,
        insurance_valid=e["insurance_valid"].astype(bool),
        inspection_valid=e["inspection_valid"].astype(bool),
        in_service=e["in_service"].astype(bool),
        company_licensed=e["licensed"].astype(bool),
        company_credit_grade=e["credit_grade"].astype(np.int64),
        user_unit_known=e["user_unit_id"] >= 0,
        company_paperless=e["paperless"].astype(bool),
        company_on_time_rate=on_time[ci],
        company_elevators=fleet_size[ci].astype(np.int64),
    )
    return inputs, policy, fleet_size[ci].astype(np.int64)


def score_fleet(f: FleetFacts, s: ScoreSettings, as_of_day: int) -> FleetScore:
    """Score, decide and date the plans of every elevator."""
    inputs, policy, company_elevators = assemble(f)
    result = score(inputs, s.weights, s.grade_bands)
    decision = decide(policy, result.grade, s)
    ids = f.elevators["elevator_id"].astype(np.int64)

    def record(field: str) -> Ints:
        return _aligned(ids, f.records, field, NO_DAY).astype(np.int64)

    serious = _aligned(ids, f.alarms, "serious_day", NO_DAY).astype(np.int64)
    last_visit = record("last_visit")
    last = {"half_monthly": record("half_monthly")}
    due_hm, urgent = due_days(
        last["half_monthly"],
        decision.interval_days,
        as_of_day,
        serious,
        s.urgent_visit_days,
        last_visit,
    )
    due = {"half_monthly": due_hm}
    no_event = np.full(ids.shape[0], NO_DAY, dtype=np.int64)
    for level, period in level_periods(s).items():
        last[level] = record(level)
        periods = np.full(ids.shape[0], period, dtype=np.int64)
        due[level], _ = due_days(last[level], periods, as_of_day, no_event, 0)
    return FleetScore(
        elevator_id=ids,
        company_id=f.elevators["company_id"].astype(np.int64),
        inputs=inputs,
        result=result,
        decision=decision,
        due=due,
        last=last,
        urgent=urgent,
        company_elevators=company_elevators,
    )


def reason_keys(fs: FleetScore) -> tuple[Ints, Ints]:
    """Keys of the score's and the half-monthly plan's reason lists (mask * 4 + grade)."""
    base = fs.decision.reasons * 4 + fs.result.grade
    plan = (
        fs.decision.reasons | np.where(fs.urgent, int(Reason.URGENT_VISIT), 0)
    ) * 4 + fs.result.grade
    return base, plan


def reason_lists(keys: Ints, s: ScoreSettings) -> dict[int, list[dict[str, str]]]:
    """The reason list of every distinct key, plus those of the fixed-period levels."""
    out: dict[int, list[dict[str, str]]] = {}
    for key in np.unique(keys).tolist():
        out[int(key)] = explain(int(key) // 4, "ABCD"[int(key) % 4], s)
    for level, period in level_periods(s).items():
        label = level.replace("_", "-")
        out[FIXED_LEVEL_KEYS[level]] = [
            {"code": "tsg_period", "text": f"TSG T5002 {label} items every {period} days"}
        ]
    return out


def stage_columns(fs: FleetScore) -> tuple[dict[str, Any], Ints]:
    """Arrays for storage.scores.SCORE_STAGE_COLUMNS, and all reason keys used."""
    r = fs.result
    base_key, plan_key = reason_keys(fs)
    cols: dict[str, Any] = {
        "elevator_id": fs.elevator_id,
        "total": r.total,
        "grade": r.grade,
        "baseline": np.full(fs.elevator_id.shape[0], r.baseline),
        "eligible": fs.decision.eligible,
        "interval_days": fs.decision.interval_days,
        "reason_key": base_key,
        "plan_key": plan_key,
    }
    for i, name in enumerate(("age", "company", "user_unit", "credit", "monitoring")):
        cols[f"f_{name}"] = r.factors[:, i]
        cols[f"c_{name}"] = r.contributions[:, i]
    for level, short in (
        ("half_monthly", "hm"),
        ("quarterly", "q"),
        ("half_yearly", "hy"),
        ("yearly", "y"),
    ):
        cols[f"last_{short}"] = fs.last[level]
        cols[f"due_{short}"] = fs.due[level]
    return cols, np.concatenate([base_key, plan_key])
