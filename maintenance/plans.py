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
from maintenance.facts import Assembled, FleetFacts, IdIndex, assemble_facts, column
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


def score_fleet(facts: FleetFacts, settings: ScoreSettings, as_of_day: int) -> FleetScore:
    """Score, decide and date the plans of every elevator."""
    assembled = assemble_facts(facts)
    inputs, policy = assembled.inputs, assembled.policy
    # The allowed interval the visits are judged against: the policy's interval from a
    # first grading without the on-time sub-score (which it then feeds).
    weights = normalise_weights(settings.weights)
    factors = factor_matrix(inputs)
    base = eligibility(policy, settings)
    allowed = decide(
        policy, grades(factors @ weights, settings.grade_bands), settings, base
    ).interval_days
    rates = _company_on_time_rates(facts, assembled, allowed, settings, as_of_day)
    inputs = replace(inputs, on_time_rate=rates[assembled.company])
    set_company_factor(factors, inputs)
    result = scored(factors, weights, settings.grade_bands)
    if settings.guangzhou_company_rules:  # the on-time rate is one of the eligibility rules
        policy = replace(policy, company_on_time_rate=rates[assembled.company])
        base = eligibility(policy, settings)
    decision = decide(policy, result.grade, settings, base)
    due, last, urgent = _plan_dates(facts, assembled, decision, settings, as_of_day)
    return FleetScore(
        elevator_id=assembled.index.ids.astype(np.int64),
        company_id=column(facts.elevators, "company_id", np.int64),
        inputs=inputs,
        result=result,
        decision=decision,
        due=due,
        last=last,
        urgent=urgent,
        company_elevators=assembled.company_elevators,
        index=assembled.index,
    )


def _last_done(facts: FleetFacts, assembled: Assembled, level: str) -> Ints:
    """The day ``level`` (or ``last_visit``) was last done per elevator (NO_DAY: never)."""
    return assembled.aligned(facts.records, level, NO_DAY).astype(np.int64)


def _company_on_time_rates(
    facts: FleetFacts, assembled: Assembled, allowed: Ints, settings: ScoreSettings, as_of_day: int
) -> Floats:
    """Each company's share of maintenance visits within the ``allowed`` interval."""
    visit_position, known = assembled.index.find(facts.visits["elevator_id"])
    gap = facts.visits["gap"]
    if not known.all():  # visits of elevators no longer in the fleet
        visit_position, gap = visit_position[known], gap[known]
    return on_time_rates(
        assembled.company,
        len(facts.companies),
        allowed,
        visit_position,
        gap,
        _last_done(facts, assembled, "half_monthly"),
        assembled.policy.in_service,
        assembled.inputs.age_years * 365.25,
        as_of_day,
        settings.on_time_grace_days,
    )


def _plan_dates(
    facts: FleetFacts,
    assembled: Assembled,
    decision: PolicyDecision,
    settings: ScoreSettings,
    as_of_day: int,
) -> tuple[dict[str, Ints], dict[str, Ints], NDArray[np.bool_]]:
    """Next due and last done day per level, and whether an urgent visit is due."""
    serious = assembled.aligned(facts.alarms, "serious_day", NO_DAY).astype(np.int64)
    last = {"half_monthly": _last_done(facts, assembled, "half_monthly")}
    due_half_monthly, urgent = due_days(
        last["half_monthly"],
        decision.interval_days,
        as_of_day,
        serious,
        settings.urgent_visit_days,
        _last_done(facts, assembled, "last_visit"),
    )
    due = {"half_monthly": due_half_monthly}
    for level, period in level_periods(settings).items():
        # due_days without events: last done + period, never done: due today.
        last[level] = _last_done(facts, assembled, level)
        due[level] = np.where(last[level] != NO_DAY, last[level] + period, as_of_day)
    return due, last, urgent


def reason_keys(fleet_score: FleetScore) -> tuple[Ints, Ints]:
    """Keys of the score's and the half-monthly plan's reason lists (mask * 4 + grade)."""
    base = fleet_score.decision.reasons * 4 + fleet_score.result.grade
    plan = (
        fleet_score.decision.reasons | np.where(fleet_score.urgent, int(Reason.URGENT_VISIT), 0)
    ) * 4 + fleet_score.result.grade
    return base, plan


def reason_lists(keys: Ints, settings: ScoreSettings) -> dict[int, list[dict[str, str]]]:
    """The reason list of every distinct key, plus those of the fixed-period levels."""
    out: dict[int, list[dict[str, str]]] = {}
    for key in np.unique(keys).tolist():
        out[int(key)] = explain(int(key) // 4, "ABCD"[int(key) % 4], settings)
    for level, period in level_periods(settings).items():
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
    fleet_score: FleetScore,
    stored: StoredState,
    settings: ScoreSettings,
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
    base_key, plan_key = reason_keys(fleet_score)
    reasons = reason_lists(np.concatenate([base_key, plan_key]), settings)
    stale = np.asarray(
        [k for k, v in reasons.items() if stored.reason_sets.get(k) != v], dtype=np.int64
    )
    index = fleet_score.index if fleet_score.index is not None else IdIndex(fleet_score.elevator_id)
    refresh = _Refresh(at_s, as_of_day, min_change, refresh_days)
    scores = _score_changes(fleet_score, stored.scores, index, base_key, stale, refresh)
    new_plans = _plan_matrices(fleet_score, settings, plan_key)
    old_plans, present = _stored_plan_matrices(
        stored.plans, index, fleet_score.elevator_id.shape[0]
    )
    plans = _plan_changes(fleet_score.elevator_id, new_plans, old_plans, present, stale)
    return Changes(scores=scores, plans=plans, reasons=reasons)


@dataclass(frozen=True)
class _Refresh:
    """When an unchanged score row is rewritten anyway (see :func:`changes`)."""

    at_s: float
    as_of_day: int
    min_change: float
    refresh_days: int


def _score_changes(
    fleet_score: FleetScore,
    stored: Table,
    index: IdIndex,
    base_key: Ints,
    stale: Ints,
    refresh: _Refresh,
) -> dict[str, Any]:
    """The score rows to write (the score stage columns)."""
    ids = fleet_score.elevator_id
    n = ids.shape[0]
    result = fleet_score.result
    # Each stored row placed at its elevator's position (stored rows are unique by id).
    stored_position, stored_found = index.find(stored["elevator_id"])
    found = np.zeros(n, dtype=bool)
    found[stored_position[stored_found]] = True
    position = np.zeros(n, dtype=np.int64)
    position[stored_position[stored_found]] = np.flatnonzero(stored_found)
    changed = ~found
    if len(stored):
        previous = stored.take(position)
        age_days = (refresh.at_s - previous["computed_at"]) / 86400.0
        weekday = (ids + refresh.as_of_day) % refresh.refresh_days == 0
        due_refresh = (age_days >= refresh.refresh_days) | (weekday & (age_days >= 0.5))
        changed |= (
            (np.abs(previous["total"] - result.total) >= refresh.min_change)
            | (previous["grade"] != result.grade)
            | (previous["eligible"] != fleet_score.decision.eligible)
            | (previous["interval_days"] != fleet_score.decision.interval_days)
            | (previous["reason_key"] != base_key)
            | np.isin(base_key, stale)
            | due_refresh
        )
    rows = np.flatnonzero(changed)
    scores: dict[str, Any] = {
        "elevator_id": ids[rows],
        "total": result.total[rows],
        "grade": result.grade[rows],
        "baseline": np.full(rows.shape[0], result.baseline),
        "eligible": fleet_score.decision.eligible[rows],
        "interval_days": fleet_score.decision.interval_days[rows],
        "reason_key": base_key[rows],
        "is_new": ~found[rows],
    }
    for i, name in enumerate(("age", "company", "user_unit", "credit", "monitoring")):
        scores[f"f_{name}"] = result.factors[rows, i]
        scores[f"c_{name}"] = result.contributions[rows, i]
    return scores


@dataclass(frozen=True)
class _PlanMatrices:
    """Plans as (elevator, level) matrices."""

    interval: Ints
    last: Ints
    due: Ints
    key: Ints


def _plan_matrices(
    fleet_score: FleetScore, settings: ScoreSettings, plan_key: Ints
) -> _PlanMatrices:
    """This run's plans."""
    n = fleet_score.elevator_id.shape[0]
    periods = level_periods(settings)
    interval = np.empty((n, 4), dtype=np.int64)
    interval[:, 0] = fleet_score.decision.interval_days
    key = np.empty((n, 4), dtype=np.int64)
    key[:, 0] = plan_key
    for j, (level, _) in enumerate(LEVEL_SHORT[1:], start=1):
        interval[:, j] = periods[level]
        key[:, j] = FIXED_LEVEL_KEYS[level]
    last = np.stack([fleet_score.last[level] for level, _ in LEVEL_SHORT], axis=1)
    due = np.stack([fleet_score.due[level] for level, _ in LEVEL_SHORT], axis=1)
    return _PlanMatrices(interval, last, due, key)


def _stored_plan_matrices(
    stored: Table, index: IdIndex, n: int
) -> tuple[_PlanMatrices, NDArray[np.bool_]]:
    """The stored plans placed at their elevator's position and level, and where a
    stored row exists."""
    present = np.zeros((n, 4), dtype=bool)
    interval = np.zeros((n, 4), dtype=np.int64)
    last = np.full((n, 4), NO_DAY, dtype=np.int64)
    due = np.zeros((n, 4), dtype=np.int64)
    key = np.full((n, 4), NO_KEY, dtype=np.int64)
    if len(stored):
        position, found = index.find(stored["elevator_id"])
        level = stored["level"].astype(np.int64)
        ok = found & (level >= 0) & (level < 4)
        at = (position[ok], level[ok])
        present[at] = True
        interval[at] = stored["interval_days"][ok]
        last[at] = stored["last_done"][ok]
        due[at] = stored["next_due"][ok]
        key[at] = stored["reason_key"][ok]
    return _PlanMatrices(interval, last, due, key), present


def _plan_changes(
    ids: Ints, new: _PlanMatrices, old: _PlanMatrices, present: NDArray[np.bool_], stale: Ints
) -> dict[str, Any]:
    """The plan rows to write (the plan stage columns)."""
    never = present & (new.last == NO_DAY) & (old.last == NO_DAY)
    due = np.where(never, np.minimum(new.due, old.due), new.due)
    plan_changed = (
        ~present
        | (new.interval != old.interval)
        | (new.last != old.last)
        | (due != old.due)
        | (new.key != old.key)
        | np.isin(new.key, stale)
    )
    elevator, level = np.nonzero(plan_changed)
    return {
        "elevator_id": ids[elevator],
        "level": level,
        "interval_days": new.interval[elevator, level],
        "last_done": new.last[elevator, level],
        "next_due": due[elevator, level],
        "reason_key": new.key[elevator, level],
        "is_new": ~present[elevator, level],
        "old_interval": old.interval[elevator, level],
        "old_last": old.last[elevator, level],
        "old_due": old.due[elevator, level],
    }
