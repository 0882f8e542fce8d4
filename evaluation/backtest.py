"""Back-test of the 3+2 score and the interval policy on a simulated fleet.

The simulator (:mod:`simulators.risk`) draws faults at rates that depend on age, the
company's technical level and credit, the user unit's management level and a hidden
per-elevator degradation ``condition``. Day 0 is the scoring day:

- inputs: the fleet registry as of day 0, the simulated faults of the 90 days before
  day 0 (as alarm counts), and an *observed* condition index: ``100 * (1 - condition)``
  plus Gaussian noise (sd :data:`CONDITION_NOISE`; our stand-in for the detection
  engineer's telemetry-based index, which this back-test does not run);
- outcome: whether the elevator has at least one elevator fault (every kind but power
  cuts, terminal outages and alarm-button presses) in the 90 days after day 0.

ROC AUC of the score (low total = high risk) is printed beside the AUC of age alone and
of the score without the condition signal. Visits: the fixed schedule visits every 15
days; the policy visits at its interval plus an urgent visit ``urgent_visit_days`` after
each entrapment or serious fault (the regular interval restarting from it).

"Missed fault" (our definition, docs/maintenance.md): a fault that comes within 30 days
after an entrapment or serious fault of the same elevator with no maintenance visit in
between, i.e. monitoring warned and nobody looked before the next fault. It measures how
promptly maintenance answers warnings. The simulator has no effect of maintenance on
fault rates, so the back-test cannot show prevention; for transparency it also reports
"uncovered" faults (those more than 15 days after the last visit), which a schedule with
fewer visits necessarily has more of.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from analytics.score import BUILDING_TYPES, ScoreInputs, score
from domain.alarms import AlarmType
from domain.fleet import Fleet
from domain.table import Table
from evaluation.unit_checks import recorded_unit_facts, unit_variants, window_checks
from maintenance.config import ScoreSettings
from maintenance.facts import FAULT_TYPES, FleetFacts, assemble_facts
from maintenance.plans import FleetScore, score_fleet
from maintenance.policy import NO_DAY, SERIOUS_TYPES, to_day
from maintenance.repository.columns import numpy_schema
from maintenance.repository.fleet_facts import (
    ALARM_COLUMNS,
    COMPANY_COLUMNS,
    ELEVATOR_COLUMNS,
    RECORD_COLUMNS,
)
from simulators.demand import DAY_MS
from simulators.fleet import generate_fleet
from simulators.risk import FAULT_KINDS, day_start_ms, fault_rates, simulate_fault_history
from simulators.units import acting_fleet, unit_behaviour

WINDOW_DAYS = 90
CONDITION_NOISE = 10.0  # sd of the observed condition index, points on 0..100
REPEAT_DAYS = 30
COVER_DAYS = 15
DAY0 = date(2024, 7, 1)

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def roc_auc(risk: Floats, positive: NDArray[np.bool_]) -> float:
    """Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties averaged."""
    n_pos = int(positive.sum())
    n_neg = int(positive.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(risk)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@dataclass(frozen=True)
class Events:
    elevator: Ints  # index into the fleet
    day: Ints  # day relative to the window start
    kind: NDArray[np.str_]
    duration_s: Floats


def _events(fleet: Fleet, start: date, days: int, seed: int) -> Events:
    truth = simulate_fault_history(fleet, start, days, seed)
    index = {e.id: i for i, e in enumerate(fleet.elevators)}
    t0 = day_start_ms(start)
    return Events(
        elevator=np.fromiter((index[g.elevator_id] for g in truth), np.int64, len(truth)),
        day=np.fromiter(((g.start_ms - t0) // DAY_MS for g in truth), np.int64, len(truth)),
        kind=np.array([g.kind for g in truth], dtype=str),
        duration_s=np.fromiter(((g.end_ms - g.start_ms) / 1000 for g in truth), float, len(truth)),
    )


def _facts(fleet: Fleet, past: Events, rng: np.random.Generator) -> FleetFacts:
    """The score job's inputs, as the database would hold them on day 0."""
    elevators = _elevator_facts(fleet, past, rng)
    ids = elevators["elevator_id"]
    alarms = _alarm_facts(past, ids)
    records = _record_facts(ids, rng)
    companies = Table.zeros(numpy_schema(COMPANY_COLUMNS), len(fleet.companies))
    companies["company_id"] = sorted(c.id for c in fleet.companies)
    companies["mean_arrival_min"] = np.nan  # no rescue history in this back-test
    order = np.argsort(ids)
    return FleetFacts(
        elevators=elevators.take(order),
        alarms=alarms.take(order),
        records=records.take(order),
        companies=companies,
    )


def _elevator_facts(fleet: Fleet, past: Events, rng: np.random.Generator) -> Table:
    """The registry columns (ELEVATOR_COLUMNS) in fleet order, with an observed
    condition index and the online flag at the end of the window."""
    registry = fleet.elevators
    n = len(registry)
    company = {c.id: c for c in fleet.companies}
    units = {u.id: u for u in fleet.user_units}
    types = [b.value for b in BUILDING_TYPES]
    elevators = Table.zeros(numpy_schema(ELEVATOR_COLUMNS), n)
    elevators["elevator_id"] = [e.id for e in registry]
    elevators["company_id"] = [e.company_id for e in registry]
    elevators["user_unit_id"] = [e.user_unit_id if e.user_unit_id else -1 for e in registry]
    elevators["age_years"] = [(DAY0 - e.install_date).days / 365.25 for e in registry]
    elevators["building_type"] = [types.index(e.building_type.value) for e in registry]
    elevators["insurance_valid"] = [
        e.insurance_expiry is not None and e.insurance_expiry >= DAY0 for e in registry
    ]
    elevators["inspection_valid"] = [
        e.inspection_valid_until is not None and e.inspection_valid_until >= DAY0 for e in registry
    ]
    elevators["in_service"] = True
    elevators["tech_level"] = [company[e.company_id].tech_level for e in registry]
    elevators["certified_staff"] = [company[e.company_id].certified_staff for e in registry]
    elevators["licensed"] = [company[e.company_id].licensed for e in registry]
    elevators["credit_grade"] = [
        "ABC".index(company[e.company_id].credit_grade.value) for e in registry
    ]
    elevators["credit_score"] = [company[e.company_id].credit_score for e in registry]
    elevators["paperless"] = [company[e.company_id].paperless for e in registry]
    unit = [units.get(e.user_unit_id) if e.user_unit_id else None for e in registry]
    elevators["management_level"] = [u.management_level if u else np.nan for u in unit]
    elevators["safety_manager"] = [bool(u and u.safety_manager) for u in unit]
    elevators["complaints"] = [u.complaints if u else 0 for u in unit]
    elevators["has_status"] = True
    condition = np.array([e.condition for e in registry])
    observed = 100.0 * (1.0 - condition) + rng.normal(0.0, CONDITION_NOISE, n)
    elevators["condition_index"] = np.clip(observed, 0.0, 100.0)
    elevators["anomalies_30d"] = np.nan
    elevators["anomalies_90d"] = np.nan
    # Online now unless a terminal outage spans the end of the window.
    offline = past.kind == AlarmType.TERMINAL_OFFLINE.value
    end_s = (past.day + 1) * 86400.0 + past.duration_s
    elevators["online"] = (
        np.bincount(past.elevator[offline & (end_s > WINDOW_DAYS * 86400.0)], minlength=n) == 0
    )
    return elevators


def _alarm_facts(past: Events, ids: NDArray[Any]) -> Table:
    """The alarm counts (ALARM_COLUMNS) of the window, in fleet order."""
    n = ids.shape[0]
    recent = past.day >= WINDOW_DAYS - 30
    is_fault = np.isin(past.kind, sorted(t.value for t in FAULT_TYPES))
    entrapment = past.kind == AlarmType.ENTRAPMENT.value
    serious = np.isin(past.kind, sorted(t.value for t in SERIOUS_TYPES))
    offline = past.kind == AlarmType.TERMINAL_OFFLINE.value

    def count(mask: NDArray[np.bool_], weights: Floats | None = None) -> Floats:
        w = None if weights is None else weights[mask]
        return np.bincount(past.elevator[mask], weights=w, minlength=n).astype(np.float64)

    alarms = Table.zeros(numpy_schema(ALARM_COLUMNS), n)
    alarms["elevator_id"] = ids
    alarms["faults_30d"] = count(is_fault & recent)
    alarms["faults_90d"] = count(is_fault)
    alarms["entrapments_30d"] = count(entrapment & recent)
    alarms["entrapments_90d"] = count(entrapment)
    alarms["offline_s_30d"] = count(offline & recent, past.duration_s)
    last_serious = np.full(n, NO_DAY, dtype=np.int64)
    np.maximum.at(
        last_serious, past.elevator[serious], to_day(DAY0) - WINDOW_DAYS + past.day[serious]
    )
    alarms["serious_day"] = last_serious
    return alarms


def _record_facts(ids: NDArray[Any], rng: np.random.Generator) -> Table:
    """Last-done days (RECORD_COLUMNS): everyone on the 15-day schedule so far."""
    n = ids.shape[0]
    records = Table.zeros(numpy_schema(RECORD_COLUMNS), n)
    records["elevator_id"] = ids
    last = to_day(DAY0) - rng.integers(1, 15, n)
    for level in ("half_monthly", "last_visit"):
        records[level] = last
    for level in ("quarterly", "half_yearly", "yearly"):
        records[level] = to_day(DAY0) - rng.integers(1, 90, n)
    return records


def _visit_days(
    phase: Ints, interval: Ints, urgent_at: list[list[int]], days: int
) -> list[list[int]]:
    """Visit days within [0, days) per elevator: regular visits every ``interval`` from
    ``phase``, an urgent visit restarting the interval."""
    out: list[list[int]] = []
    for p, step, urgent in zip(phase.tolist(), interval.tolist(), urgent_at, strict=True):
        visits: list[int] = []
        nxt = p
        pending = sorted(urgent)
        while nxt < days or pending:
            if pending and pending[0] < nxt:
                u = pending.pop(0)
                if u >= days:
                    break
                if not visits or visits[-1] != u:
                    visits.append(u)
                nxt = u + step
                continue
            if nxt >= days:
                break
            visits.append(nxt)
            nxt += step
        out.append(visits)
    return out


def _missed(
    visits: list[list[int]],
    before: Ints,
    future: Events,
    is_fault: NDArray[np.bool_],
    serious: NDArray[np.bool_],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per future fault: missed (after a warning with no visit between), uncovered (more
    than COVER_DAYS after the last visit)."""
    order = np.lexsort((future.day, future.elevator))
    missed = np.zeros(future.day.size, dtype=bool)
    uncovered = np.zeros(future.day.size, dtype=bool)
    last_warning: dict[int, int] = {}
    for i in order.tolist():
        if not is_fault[i]:
            continue
        e, d = int(future.elevator[i]), int(future.day[i])
        v = visits[e]
        k = int(np.searchsorted(v, d, side="right"))  # visits on or before day d
        last_visit = v[k - 1] if k else int(before[e])  # the visit before the window
        uncovered[i] = d - last_visit > COVER_DAYS
        w = last_warning.get(e)
        if w is not None and d - w <= REPEAT_DAYS:
            missed[i] = last_visit <= w  # no visit after the warning, up to the fault
        if serious[i]:
            last_warning[e] = d
    return missed, uncovered


@dataclass(frozen=True)
class BacktestResult:
    elevators: int
    auc: float
    auc_age: float
    auc_no_condition: float
    auc_oracle: float  # ranking by the simulator's true fault rates: the ceiling
    auc_unit_registered: float  # user-unit factor from the registered level, not the records
    auc_no_unit: float  # without the user-unit factor (its weight 0)
    positives: int
    grades: dict[str, int]
    eligible: int
    visits_policy: float  # per elevator per year
    visits_fixed: float
    missed_low_policy: int
    missed_low_fixed: int
    uncovered_low_policy: int
    uncovered_low_fixed: int
    faults_low: int
    compute_s: float

    def lines(self) -> list[str]:
        return [
            f"fleet {self.elevators} elevators; {self.positives} with a fault in the next 90 days",
            f"ROC AUC: score {self.auc:.3f}, age alone {self.auc_age:.3f},"
            f" score without the condition signal {self.auc_no_condition:.3f},"
            f" true simulated rates (ceiling) {self.auc_oracle:.3f}",
            f"ROC AUC, user-unit factor: from recorded checks {self.auc:.3f},"
            f" from the registered level {self.auc_unit_registered:.3f},"
            f" without the factor {self.auc_no_unit:.3f}",
            f"grades {self.grades}; {self.eligible} eligible for on-demand maintenance",
            f"visits per elevator-year: policy {self.visits_policy:.2f},"
            f" fixed 15-day {self.visits_fixed:.2f}",
            f"grades A/B: {self.faults_low} faults; missed (warning, no visit before the next"
            f" fault) policy {self.missed_low_policy}, fixed {self.missed_low_fixed};"
            f" uncovered (> {COVER_DAYS} days after a visit) policy {self.uncovered_low_policy},"
            f" fixed {self.uncovered_low_fixed}",
        ]

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def run_backtest(n: int, seed: int, settings: ScoreSettings) -> BacktestResult:
    fleet = generate_fleet(n, seed, DAY0)
    rng = np.random.default_rng(seed + 100)
    # Units that neglect their checks have more faults (simulators.units): the ground truth.
    behaviour = unit_behaviour(fleet, seed + 300)
    acting = acting_fleet(fleet, behaviour)
    past = _events(acting, DAY0 - timedelta(days=WINDOW_DAYS), WINDOW_DAYS, seed + 1)
    future = _events(acting, DAY0, WINDOW_DAYS, seed + 2)
    facts = replace(
        _facts(fleet, past, rng),
        units=recorded_unit_facts(fleet, window_checks(fleet, behaviour, DAY0, seed + 301)),
    )
    t = time.perf_counter()
    fleet_score = score_fleet(facts, settings, to_day(DAY0))
    compute_s = time.perf_counter() - t
    ids = facts.elevators["elevator_id"]
    pos_of = np.searchsorted(ids, [e.id for e in fleet.elevators])  # fleet index -> row
    # The future faults per fleet row.
    rows = Events(pos_of[future.elevator], future.day, future.kind, future.duration_s)
    is_fault = np.isin(future.kind, sorted(t.value for t in FAULT_TYPES))
    serious = np.isin(future.kind, sorted(t.value for t in SERIOUS_TYPES))
    positive = np.bincount(rows.elevator[is_fault], minlength=ids.size) > 0
    fault_columns = [i for i, k in enumerate(FAULT_KINDS) if k in FAULT_TYPES]
    true_rate = np.zeros(ids.size)
    true_rate[pos_of] = fault_rates(acting, DAY0)[:, fault_columns].sum(axis=1)
    inputs = assemble_facts(facts).inputs
    variants = unit_variants(inputs, settings)
    blind = ScoreInputs(**{**inputs.__dict__, "condition_index": np.full(ids.size, np.nan)})
    blind_total = score(blind, settings.weights, settings.grade_bands).total
    visits = _schedules(facts, fleet_score, rows, serious, settings)
    low = fleet_score.result.grade[rows.elevator] <= 1
    missed = {k: _missed(v, visits.before, rows, is_fault, serious) for k, v in visits.days.items()}
    per_year = 365.0 / WINDOW_DAYS / ids.size
    counts = np.bincount(fleet_score.result.grade, minlength=4)
    return BacktestResult(
        elevators=int(ids.size),
        auc=roc_auc(-fleet_score.result.total, positive),
        auc_age=roc_auc(facts.elevators["age_years"].astype(np.float64), positive),
        auc_no_condition=roc_auc(-blind_total, positive),
        auc_oracle=roc_auc(true_rate, positive),
        auc_unit_registered=roc_auc(-variants.registered_total, positive),
        auc_no_unit=roc_auc(-variants.without_total, positive),
        positives=int(positive.sum()),
        grades={g: int(c) for g, c in zip("ABCD", counts, strict=True)},
        eligible=int(fleet_score.decision.eligible.sum()),
        visits_policy=sum(len(v) for v in visits.days["policy"]) * per_year,
        visits_fixed=sum(len(v) for v in visits.days["fixed"]) * per_year,
        missed_low_policy=int((missed["policy"][0] & low & is_fault).sum()),
        missed_low_fixed=int((missed["fixed"][0] & low & is_fault).sum()),
        uncovered_low_policy=int((missed["policy"][1] & low & is_fault).sum()),
        uncovered_low_fixed=int((missed["fixed"][1] & low & is_fault).sum()),
        faults_low=int((low & is_fault).sum()),
        compute_s=compute_s,
    )


@dataclass(frozen=True)
class _Schedules:
    days: dict[str, list[list[int]]]  # "policy", "fixed": visit days per fleet row
    before: Ints  # the last visit before day 0 (a negative day)


def _schedules(
    facts: FleetFacts,
    fleet_score: FleetScore,
    rows: Events,
    serious: NDArray[np.bool_],
    settings: ScoreSettings,
) -> _Schedules:
    """Visits over the future window per fleet row: the policy's (its interval and an
    urgent visit after each serious fault) and the fixed 15-day schedule's."""
    size = fleet_score.elevator_id.size
    phase = facts.records["half_monthly"].astype(np.int64) - to_day(DAY0)
    phase_fixed = phase + settings.statutory_interval_days
    phase_policy = np.maximum(fleet_score.due["half_monthly"] - to_day(DAY0), 0)
    urgent: list[list[int]] = [[] for _ in range(size)]
    for e, d in zip(rows.elevator[serious].tolist(), rows.day[serious].tolist(), strict=True):
        urgent[e].append(d + settings.urgent_visit_days)
    no_urgent: list[list[int]] = [[] for _ in range(size)]
    interval_fixed = np.full(size, settings.statutory_interval_days, dtype=np.int64)
    return _Schedules(
        days={
            "policy": _visit_days(
                phase_policy, fleet_score.decision.interval_days, urgent, WINDOW_DAYS
            ),
            "fixed": _visit_days(phase_fixed, interval_fixed, no_urgent, WINDOW_DAYS),
        },
        before=phase,
    )
