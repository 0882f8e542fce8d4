"""Fleet facts (column tables as :mod:`maintenance.repository.fleet_facts` reads them) placed at
positions and assembled into the score's and the policy's per-elevator inputs. No I/O
here: the score job and the back-test feed the same tables through the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analytics.score import ScoreInputs
from domain.alarms import AlarmType
from domain.table import Table
from maintenance.policy import PolicyInputs

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
        AlarmType.HAZARD_OVERDUE,
        *MISUSE_TYPES,
    }
)
FAULT_TYPES: frozenset[AlarmType] = frozenset(AlarmType) - NOT_FAULTS

MONTH_S = 30 * 86400.0
UNIT_FACT_COLUMNS = [("user_unit_id", "i8"), ("completion", "f8"), ("staffed", "i1")]


@dataclass(frozen=True)
class FleetFacts:
    """Column tables with the columns of maintenance.repository.fleet_facts' *_COLUMNS."""

    elevators: Table  # ELEVATOR_COLUMNS, sorted by elevator_id
    alarms: Table  # ALARM_COLUMNS, sorted by elevator_id (only those with alarms)
    records: Table  # RECORD_COLUMNS, sorted by elevator_id (only those with records)
    companies: Table  # COMPANY_COLUMNS, sorted by company_id
    # VISIT_COLUMNS, sorted by elevator_id: judged maintenance visits with their gaps
    visits: Table = field(
        default_factory=lambda: Table.zeros([("elevator_id", "i4"), ("gap", "i4")])
    )
    # UNIT_FACT_COLUMNS, sorted by user_unit_id: the units' recorded check completion (NaN:
    # keeps no records) and staffing (1 / 0, -1 unknown); see units.service.unit_facts.
    units: Table = field(default_factory=lambda: Table.zeros(UNIT_FACT_COLUMNS))


class IdIndex:
    """Positions of elevator ids in the fleet's sorted id array. Ids are dense (1..N) in
    practice: then a lookup table replaces the binary search; sparse ids fall back to
    ``searchsorted``."""

    def __init__(self, ids: NDArray[Any]) -> None:
        self.ids = ids
        n = ids.shape[0]
        self._table: Ints | None = None
        if n and ids[0] >= 0 and ids[-1] <= 2 * n + 1024:
            table = np.full(int(ids[-1]) + 1, -1, dtype=np.int64)
            table[ids] = np.arange(n, dtype=np.int64)
            self._table = table

    def find(self, query: NDArray[Any]) -> tuple[Ints, NDArray[np.bool_]]:
        """Positions of ``query`` (clipped into range) and whether each id is there."""
        ids = self.ids
        if ids.shape[0] == 0:
            return np.zeros(query.shape[0], dtype=np.int64), np.zeros(query.shape[0], dtype=bool)
        table = self._table
        if table is not None:
            inside = (query >= 0) & (query < table.shape[0])
            if inside.all():
                pos = table[query]
            else:
                pos = np.full(query.shape[0], -1, dtype=np.int64)
                pos[inside] = table[query[inside]]
            ok = pos >= 0
            np.maximum(pos, 0, out=pos)
            return pos, ok
        pos = np.minimum(np.searchsorted(ids, query), ids.shape[0] - 1).astype(np.int64)
        return pos, ids[pos] == query


class _Aligner:
    """Places per-elevator fact rows (sorted by elevator id, a subset of the fleet) at the
    fleet's positions; each rows array is looked up once. Rows of exactly the fleet's ids
    (the usual case for the records) are taken as they are."""

    def __init__(self, index: IdIndex) -> None:
        self.index = index
        self._found: dict[int, tuple[Ints | None, NDArray[np.bool_] | None, Table]] = {}

    def __call__(self, rows: Table, field: str, default: float) -> NDArray[Any]:
        ids = self.index.ids
        if not len(rows):
            return np.full(ids.shape[0], default)
        hit = self._found.get(id(rows))
        if hit is None or hit[2] is not rows:
            rid = rows["elevator_id"]
            if rid.shape[0] == ids.shape[0] and np.array_equal(rid, ids):
                hit = (None, None, rows)
            else:
                pos, ok = self.index.find(rid)
                hit = (pos, None, rows) if ok.all() else (pos[ok], ok, rows)
            self._found[id(rows)] = hit
        if hit[0] is None:
            return rows[field]
        out = np.full(ids.shape[0], default, dtype=rows[field].dtype)
        out[hit[0]] = rows[field] if hit[1] is None else rows[field][hit[1]]
        return out


@dataclass(frozen=True)
class Assembled:
    inputs: ScoreInputs
    policy: PolicyInputs
    company_elevators: Ints
    index: IdIndex
    aligned: _Aligner
    company: Ints  # each elevator's position in the company facts


def column(rows: Table, name: str, dtype: Any) -> NDArray[Any]:
    """A column as ``dtype``, copied only when the type differs."""
    return rows[name].astype(dtype, copy=False)


def assemble_facts(facts: FleetFacts) -> Assembled:
    """Score and policy inputs per elevator, each elevator's company size and position, the
    fleet's id index. The company on-time rate is left unknown (NaN): ``score_fleet`` fills
    it in from the maintenance visits."""
    elevators = facts.elevators
    index = IdIndex(elevators["elevator_id"])
    aligned = _Aligner(index)
    company, known = IdIndex(facts.companies["company_id"]).find(elevators["company_id"])
    if len(elevators) and not known.all():
        raise ValueError("an elevator refers to a company missing from the company facts")

    alarms: dict[str, Floats] = {}

    def alarm(field: str) -> Floats:
        if field not in alarms:
            alarms[field] = aligned(facts.alarms, field, 0.0).astype(np.float64, copy=False)
        return alarms[field]

    companies = _company_facts(facts, company, alarm("faults_90d"), alarm("entrapments_90d"))
    online_rate = np.where(
        elevators["has_status"], np.clip(1.0 - alarm("offline_s_30d") / MONTH_S, 0.0, 1.0), 0.0
    )
    inputs = _score_inputs(facts, company, companies, alarm, online_rate)
    company_elevators = companies.fleet_size.astype(np.int64)[company]
    policy = PolicyInputs(
        online=column(elevators, "online", bool),
        online_rate=online_rate,
        insurance_valid=column(elevators, "insurance_valid", bool),
        inspection_valid=inputs.inspection_valid,
        in_service=column(elevators, "in_service", bool),
        company_licensed=column(elevators, "licensed", bool),
        company_credit_grade=inputs.credit_grade,
        user_unit_known=elevators["user_unit_id"] >= 0,
        company_paperless=column(elevators, "paperless", bool),
        company_on_time_rate=inputs.on_time_rate,
        company_elevators=company_elevators,
    )
    return Assembled(inputs, policy, company_elevators, index, aligned, company)


@dataclass(frozen=True)
class _CompanyFacts:
    """Per company (in the order of the company facts)."""

    fleet_size: Floats
    fault_rate: Floats  # faults per elevator in 90 days
    entrapment_rate: Floats
    elevators_per_technician: Floats
    on_time: Floats  # unknown here (NaN)


def _company_facts(
    facts: FleetFacts, company: Ints, faults_90d: Floats, entrapments_90d: Floats
) -> _CompanyFacts:
    companies = len(facts.companies)
    fleet_size = np.bincount(company, minlength=companies).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        fault_rate = np.bincount(company, weights=faults_90d, minlength=companies) / fleet_size
        entrapment_rate = (
            np.bincount(company, weights=entrapments_90d, minlength=companies) / fleet_size
        )
        staff = np.zeros(companies)
        staff[company] = facts.elevators["certified_staff"]
        per_technician = np.where(staff > 0, fleet_size / np.maximum(staff, 1), np.inf)
    return _CompanyFacts(
        fleet_size, fault_rate, entrapment_rate, per_technician, np.full(companies, np.nan)
    )


def _score_inputs(
    facts: FleetFacts,
    company: Ints,
    companies: _CompanyFacts,
    alarm: Callable[[str], Floats],
    online_rate: Floats,
) -> ScoreInputs:
    elevators = facts.elevators

    # Anomalies: the condition table's counts when analytics has them, else anomaly alarms.
    def anomalies(field: str) -> Floats:
        stored = column(elevators, field, np.float64)
        finite = np.isfinite(stored)
        if finite.all():
            return stored
        return np.where(finite, stored, alarm(field))

    completion, staffed = unit_columns(facts)
    return ScoreInputs(
        age_years=column(elevators, "age_years", np.float64),
        building_type=column(elevators, "building_type", np.int64),
        tech_level=column(elevators, "tech_level", np.float64),
        elevators_per_technician=companies.elevators_per_technician[company],
        company_fault_rate=companies.fault_rate[company],
        company_entrapment_rate=companies.entrapment_rate[company],
        on_time_rate=companies.on_time[company],
        mean_arrival_min=column(facts.companies, "mean_arrival_min", np.float64)[company],
        management_level=column(elevators, "management_level", np.float64),
        safety_manager=np.where(
            staffed >= 0, staffed > 0, column(elevators, "safety_manager", bool)
        ),
        complaints=column(elevators, "complaints", np.float64),
        misuse_90d=alarm("misuse_90d"),
        inspection_valid=column(elevators, "inspection_valid", bool),
        credit_grade=column(elevators, "credit_grade", np.int64),
        credit_score=column(elevators, "credit_score", np.float64),
        faults_30d=alarm("faults_30d"),
        faults_90d=alarm("faults_90d"),
        entrapments_30d=alarm("entrapments_30d"),
        entrapments_90d=alarm("entrapments_90d"),
        anomalies_30d=anomalies("anomalies_30d"),
        anomalies_90d=anomalies("anomalies_90d"),
        condition_index=column(elevators, "condition_index", np.float64),
        online_rate=online_rate,
        company=company,  # the company inputs above are per company
        checks_completion=completion,
    )


def unit_columns(facts: FleetFacts) -> tuple[Floats, NDArray[np.int8]]:
    """Per elevator: its user unit's recorded check completion (NaN unknown) and staffing
    (1 a certified director and officer, 0 not, -1 unknown: the registry's flag stands)."""
    unit_ids = facts.elevators["user_unit_id"].astype(np.int64)
    n = unit_ids.shape[0]
    completion = np.full(n, np.nan)
    staffed = np.full(n, -1, dtype=np.int8)
    units = facts.units
    if len(units) and n:
        pos, found = IdIndex(units["user_unit_id"].astype(np.int64)).find(unit_ids)
        found &= unit_ids >= 0
        completion[found] = units["completion"][pos[found]]
        staffed[found] = units["staffed"][pos[found]]
    return completion, staffed
