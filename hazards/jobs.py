"""The hazards' jobs: automatic hazards from the data (``liftwatch hazards scan``) and the
escalation of deadlines passed. Both are idempotent: one open hazard per elevator and
rule (a unique index), one escalation per level (a conditional update)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from alarms.repository import raise_alarm, resolve_alarm
from domain.alarms import AlarmType
from domain.localtime import city_date
from hazards import repository as repo
from hazards.config import HazardSettings
from hazards.model import CATEGORIES, RULE_CATEGORY, Rule, Source
from hazards.policy import deadline, escalation_level, grade_of
from storage.events import notify
from storage.jobs import PeriodicJob

log = logging.getLogger(__name__)
SyncConn = repo.SyncConn
RULE_TEXT = {
    Rule.RECURRING_FAULT: "同类故障30天内反复发生 {count} 次 ({type})",
    Rule.INSPECTION_EXPIRED: "定期检验已过期 ({date})",
    Rule.INSURANCE_LAPSED: "电梯安全责任保险已过期 ({date})",
    Rule.MAINTENANCE_OVERDUE: "维保超期超过15天 (应于 {date})",
    Rule.CONDITION_COLLAPSE: "健康指数骤降至 {value:.0f}",
}


@dataclass
class ScanResult:
    found: dict[str, int] = field(default_factory=dict)  # rule -> elevators matching
    created: dict[str, int] = field(default_factory=dict)  # rule -> new hazards

    def total_created(self) -> int:
        return sum(self.created.values())


def _finding(
    rule: Rule, elevator_id: int, now: datetime, s: HazardSettings, **facts: Any
) -> dict[str, Any]:
    category = RULE_CATEGORY[rule]
    grade = grade_of(category, rule, s)
    return {
        "elevator": elevator_id,
        "source": Source.AUTOMATIC.value,
        "rule": rule.value,
        "category": category,
        "description": RULE_TEXT[rule].format(**facts),
        "grade": grade.value,
        "party": CATEGORIES[category].value,
        "at": now,
        "by": "system",
        "due": deadline(grade, now, s),
        "detail": {k: str(v) for k, v in facts.items()},
    }


def findings(
    conn: SyncConn, now: datetime, s: HazardSettings, fault_types: list[str]
) -> dict[Rule, list[dict[str, Any]]]:
    """What the rules find now, per rule (one finding per elevator and rule)."""
    today = city_date(now)
    out: dict[Rule, list[dict[str, Any]]] = {r: [] for r in Rule}
    seen: set[int] = set()
    since = now - timedelta(days=s.recurring_days)
    for eid, kind, count in repo.recurring_faults(conn, since, fault_types, s.recurring_faults):
        if eid not in seen:  # the most frequent type of the elevator
            seen.add(eid)
            out[Rule.RECURRING_FAULT].append(
                _finding(Rule.RECURRING_FAULT, eid, now, s, count=count, type=kind)
            )
    for eid, what, when in repo.registry_lapses(conn, today):
        rule = Rule.INSPECTION_EXPIRED if what == "inspection" else Rule.INSURANCE_LAPSED
        out[rule].append(_finding(rule, eid, now, s, date=when))
    for eid, due in repo.maintenance_overdue(conn, today, s.maintenance_overdue_days):
        out[Rule.MAINTENANCE_OVERDUE].append(
            _finding(Rule.MAINTENANCE_OVERDUE, eid, now, s, date=due)
        )
    if repo.table_exists(conn, "elevator_condition"):
        for eid, value in repo.condition_collapses(conn, s.condition_collapse):
            out[Rule.CONDITION_COLLAPSE].append(
                _finding(Rule.CONDITION_COLLAPSE, eid, now, s, value=value)
            )
    return out


def scan(conn: SyncConn, now: datetime, s: HazardSettings, fault_types: list[str]) -> ScanResult:
    """Raise the automatic hazards (in one transaction); re-running creates nothing new
    while a rule's hazard on an elevator is still open."""
    result = ScanResult()
    with conn.transaction():
        for rule, rows in findings(conn, now, s, fault_types).items():
            created = repo.insert_hazards(conn, rows)
            result.found[rule.value] = len(rows)
            result.created[rule.value] = len(created)
            for hazard_id in created:
                notify(conn, "hazard", {"id": hazard_id, "action": "report", "rule": rule.value})
    return result


@dataclass
class EscalationResult:
    escalated: list[tuple[int, int]] = field(default_factory=list)  # (hazard, level)
    alarms_raised: int = 0
    alarms_resolved: int = 0


def escalate(conn: SyncConn, now: datetime) -> EscalationResult:
    """Escalate each hazard past its deadline to the supervisor: a trail entry, a live
    ``hazard`` event and a ``hazard_overdue`` alarm on its elevator (the map shows it); again
    at twice the allowed time. Alarms of elevators with no overdue hazard left resolve."""
    result = EscalationResult()
    with conn.transaction():
        for h in repo.overdue_hazards(conn, now):
            level = escalation_level(h.reported_at, h.due_at, now)
            for step in range(h.escalation + 1, level + 1):
                note = "整改期限已过" if step == 1 else "超过整改期限两倍"
                repo.set_escalation(conn, h.id, step, now, note)
                result.escalated.append((h.id, step))
                notify(
                    conn,
                    "hazard",
                    {
                        "id": h.id, "elevator_id": h.elevator_id, "company_id": h.company_id,
                        "grade": h.grade, "state": h.state, "action": "escalate",
                        "level": step, "to": "supervisor",
                    },
                )  # fmt: skip
                raised = raise_alarm(
                    conn, h.elevator_id, AlarmType.HAZARD_OVERDUE, now, "hazards",
                    {"hazard_id": h.id, "level": step, "grade": h.grade},
                )  # fmt: skip
                result.alarms_raised += int(raised.created)
        alarmed = repo.elevators_with_overdue_alarm(conn)
        still = repo.elevators_still_overdue(conn, alarmed)
        for eid in alarmed:
            if eid not in still and resolve_alarm(conn, eid, AlarmType.HAZARD_OVERDUE, now):
                result.alarms_resolved += 1
    return result


class HazardJob(PeriodicJob):
    """The automatic scan and the escalation, at start and then every ``interval_s``."""

    name = "hazards"

    def __init__(
        self, database_url: str, settings: HazardSettings, fault_types: list[str],
        interval_s: float = 3600.0,
    ) -> None:  # fmt: skip
        super().__init__(interval_s)
        self._url = database_url
        self._settings = settings
        self._fault_types = fault_types

    def run_once(self) -> tuple[ScanResult, EscalationResult]:
        now = datetime.now(UTC)
        with psycopg.connect(self._url, autocommit=True) as conn:
            found = scan(conn, now, self._settings, self._fault_types)
            escalated = escalate(conn, now)
        log.info(
            "hazards: %d new automatic, %d escalations",
            found.total_created(), len(escalated.escalated),
        )  # fmt: skip
        return found, escalated
