"""From fleet facts (:mod:`maintenance.facts`) to scores, policy decisions and plan due
dates for the whole fleet at once, and from those to the rows that changed since the
previous run. No I/O here: the score job and the back-test feed the same tables through
the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analytics.score import (
    ScoreInputs,
    ScoreResult,
    factor_matrix,
    grades,
    normalise_weights,
    scored,
    set_company_factor,
)
from domain.table import Table
from maintenance.config import ScoreSettings
from maintenance.facts import FleetFacts, IdIndex, assemble_facts, column
from maintenance.policy import (
    NO_DAY,
    PolicyDecision,
    Reason,
    decide,
    due_days,
    eligibility,
    explain,
    level_periods,
    on_time_rates,
)

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

FIXED_LEVEL_KEYS = {"quarterly": -1, "half_yearly": -2, "yearly": -3}


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
    index: IdIndex | None = None  # positions of elevator ids (built on demand when None)


def score_fleet(f: FleetFacts, s: ScoreSettings, as_of_day: int) -> FleetScore:
    """Score, decide and date the plans of every elevator."""
    a = assemble_facts(f)
    inputs, policy, aligned, ci = a.inputs, a.policy, a.aligned, a.company
    ids = a.index.ids.astype(np.int64)

    def record(field: str) -> Ints:
        return aligned(f.records, field, NO_DAY).astype(np.int64)

    # The allowed interval the visits are judged against: the policy's interval from a
    # first grading without the on-time sub-score (which it then feeds).
    weights = normalise_weights(s.weights)
    factors = factor_matrix(inputs)
    base = eligibility(policy, s)
    allowed = decide(policy, grades(factors @ weights, s.grade_bands), s, base).interval_days
    vpos, ok = a.index.find(f.visits["elevator_id"])
    gap = f.visits["gap"]
    if not ok.all():  # visits of elevators no longer in the fleet
        vpos, gap = vpos[ok], gap[ok]
    rates = on_time_rates(
        ci,
        len(f.companies),
        allowed,
        vpos,
        gap,
        record("half_monthly"),
        policy.in_service,
        inputs.age_years * 365.25,
        as_of_day,
        s.on_time_grace_days,
    )
    inputs = replace(inputs, on_time_rate=rates[ci])
    set_company_factor(factors, inputs)
    result = scored(factors, weights, s.grade_bands)
    if s.guangzhou_company_rules:  # the on-time rate is one of the eligibility rules
        policy = replace(policy, company_on_time_rate=rates[ci])
        base = eligibility(policy, s)
    decision = decide(policy, result.grade, s, base)

    serious = aligned(f.alarms, "serious_day", NO_DAY).astype(np.int64)
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
    for level, period in level_periods(s).items():
        # due_days without events: last done + period, never done: due today.
        last[level] = record(level)
        due[level] = np.where(last[level] != NO_DAY, last[level] + period, as_of_day)
    return FleetScore(
        elevator_id=ids,
        company_id=column(f.elevators, "company_id", np.int64),
        inputs=inputs,
        result=result,
        decision=decision,
        due=due,
        last=last,
        urgent=urgent,
        company_elevators=a.company_elevators,
        index=a.index,
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


LEVEL_SHORT = (("half_monthly", "hm"), ("quarterly", "q"), ("half_yearly", "hy"), ("yearly", "y"))
NO_KEY = NO_DAY  # "no reason key" in the stored state


@dataclass(frozen=True)
class StoredState:
    """What the previous runs wrote (``maintenance.repository.score_state`` columns)."""

    scores: Table  # SCORE_STATE_COLUMNS, sorted by elevator_id
    plans: Table  # PLAN_STATE_COLUMNS, sorted by elevator_id and level
    reason_sets: dict[int, list[dict[str, str]]]


@dataclass(frozen=True)
class Changes:
    """The rows to write (the score repository's score and plan stage columns)."""

    scores: dict[str, Any]
    plans: dict[str, Any]
    reasons: dict[int, list[dict[str, str]]]

    @property
    def score_rows(self) -> int:
        return len(self.scores["elevator_id"])

    @property
    def plan_rows(self) -> int:
        return len(self.plans["elevator_id"])


def changes(
    fs: FleetScore,
    stored: StoredState,
    s: ScoreSettings,
    at_s: float,
    as_of_day: int,
    min_change: float = 0.05,
    refresh_days: int = 7,
) -> Changes:
    """The score and plan rows that differ from the stored ones.

    A score row is rewritten when it is new, its grade, eligibility, interval or reasons
    changed (also: the text of its reason list, after a settings change), its total moved
    by at least ``min_change`` points, or on its weekly refresh day (elevator id + day
    number divisible by ``refresh_days``, so a seventh of the fleet a day) and at least
    half a day old, or when older than ``refresh_days``. A plan row is rewritten when new
    or any of its values changed. A never-maintained plan stays due since it was first
    made (not "today" every day).
    """
    ids = fs.elevator_id
    n = ids.shape[0]
    r = fs.result
    base_key, plan_key = reason_keys(fs)
    reasons = reason_lists(np.concatenate([base_key, plan_key]), s)
    stale = np.asarray(
        [k for k, v in reasons.items() if stored.reason_sets.get(k) != v], dtype=np.int64
    )

    index = fs.index if fs.index is not None else IdIndex(ids)
    st = stored.scores
    # Each stored row placed at its elevator's position (stored rows are unique by id).
    spos, sfound = index.find(st["elevator_id"])
    found = np.zeros(n, dtype=bool)
    found[spos[sfound]] = True
    pos = np.zeros(n, dtype=np.int64)
    pos[spos[sfound]] = np.flatnonzero(sfound)
    changed = ~found
    if len(st):
        prev = st.take(pos)
        age_days = (at_s - prev["computed_at"]) / 86400.0
        weekday = (ids + as_of_day) % refresh_days == 0
        refresh = (age_days >= refresh_days) | (weekday & (age_days >= 0.5))
        changed |= (
            (np.abs(prev["total"] - r.total) >= min_change)
            | (prev["grade"] != r.grade)
            | (prev["eligible"] != fs.decision.eligible)
            | (prev["interval_days"] != fs.decision.interval_days)
            | (prev["reason_key"] != base_key)
            | np.isin(base_key, stale)
            | refresh
        )
    rows = np.flatnonzero(changed)
    scores: dict[str, Any] = {
        "elevator_id": ids[rows],
        "total": r.total[rows],
        "grade": r.grade[rows],
        "baseline": np.full(rows.shape[0], r.baseline),
        "eligible": fs.decision.eligible[rows],
        "interval_days": fs.decision.interval_days[rows],
        "reason_key": base_key[rows],
        "is_new": ~found[rows],
    }
    for i, name in enumerate(("age", "company", "user_unit", "credit", "monitoring")):
        scores[f"f_{name}"] = r.factors[rows, i]
        scores[f"c_{name}"] = r.contributions[rows, i]

    # Plans as (elevator, level) matrices, new and stored.
    periods = level_periods(s)
    interval = np.empty((n, 4), dtype=np.int64)
    interval[:, 0] = fs.decision.interval_days
    key = np.empty((n, 4), dtype=np.int64)
    key[:, 0] = plan_key
    for j, (level, _) in enumerate(LEVEL_SHORT[1:], start=1):
        interval[:, j] = periods[level]
        key[:, j] = FIXED_LEVEL_KEYS[level]
    last = np.stack([fs.last[level] for level, _ in LEVEL_SHORT], axis=1)
    due = np.stack([fs.due[level] for level, _ in LEVEL_SHORT], axis=1)

    sp = stored.plans
    present = np.zeros((n, 4), dtype=bool)
    old_interval = np.zeros((n, 4), dtype=np.int64)
    old_last = np.full((n, 4), NO_DAY, dtype=np.int64)
    old_due = np.zeros((n, 4), dtype=np.int64)
    old_key = np.full((n, 4), NO_KEY, dtype=np.int64)
    if len(sp):
        ppos, pfound = index.find(sp["elevator_id"])
        lv = sp["level"].astype(np.int64)
        ok = pfound & (lv >= 0) & (lv < 4)
        at = (ppos[ok], lv[ok])
        present[at] = True
        old_interval[at] = sp["interval_days"][ok]
        old_last[at] = sp["last_done"][ok]
        old_due[at] = sp["next_due"][ok]
        old_key[at] = sp["reason_key"][ok]
    never = present & (last == NO_DAY) & (old_last == NO_DAY)
    due = np.where(never, np.minimum(due, old_due), due)
    plan_changed = (
        ~present
        | (interval != old_interval)
        | (last != old_last)
        | (due != old_due)
        | (key != old_key)
        | np.isin(key, stale)
    )
    ei, li = np.nonzero(plan_changed)
    plans: dict[str, Any] = {
        "elevator_id": ids[ei],
        "level": li,
        "interval_days": interval[ei, li],
        "last_done": last[ei, li],
        "next_due": due[ei, li],
        "reason_key": key[ei, li],
        "is_new": ~present[ei, li],
        "old_interval": old_interval[ei, li],
        "old_last": old_last[ei, li],
        "old_due": old_due[ei, li],
    }
    return Changes(scores=scores, plans=plans, reasons=reasons)
