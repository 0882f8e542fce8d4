"""A simulated year of hazards through the product: the simulator's findings and their
remediation (:mod:`simulators.hazards`) are graded and given deadlines by the product's
rules, written to a scratch database with their trails, escalated at the year's end, and
measured with the same SQL as the API's indicators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from fleet.repository import save_fleet
from hazards import indicators_repository as ind
from hazards.config import HazardSettings
from hazards.indicators import HazardIndicators, figures
from hazards.jobs import escalate
from hazards.model import Grade, Scope
from hazards.policy import deadline, grade_of
from hazards.repository import import_hazards
from simulators.fleet import generate_fleet
from simulators.hazards import SimHazard, simulate_hazards
from simulators.units import acting_fleet, unit_behaviour
from storage.scratch import create_database

YEAR0 = date(2025, 1, 1)


def _at(day: float) -> datetime:
    start = datetime(YEAR0.year, YEAR0.month, YEAR0.day, tzinfo=UTC) - timedelta(hours=8)
    return start + timedelta(days=day)


def _row(h: SimHazard, settings: HazardSettings) -> dict[str, Any]:
    grade = grade_of(h.category, None, settings)
    reported = _at(h.reported_day)
    trail = [(reported, "report", "reported", "reported", "supervisor:sim")]
    state = "remediating"
    party = f"{h.party}:sim"
    trail.append(
        (reported + timedelta(hours=2), "assign", "reported", "assigned", "supervisor:sim")
    )
    trail.append((reported + timedelta(hours=6), "start", "assigned", "remediating", party))
    steps = (
        (h.remediated_day, "remediate", "remediated", party),
        (h.verified_day, "verify", "verified", "supervisor:sim"),
        (h.closed_day, "close", "closed", "supervisor:sim"),
    )
    for day, action, to, actor in steps:
        if day is None:
            break
        trail.append((_at(day), action, state, to, actor))
        state = to
    return {
        "elevator": h.elevator_id, "source": h.source, "category": h.category,
        "description": f"模拟隐患: {h.category}", "grade": grade.value, "party": h.party,
        "state": state, "at": reported, "by": "supervisor:sim",
        "due": deadline(grade, reported, settings),
        "remediated_at": _at(h.remediated_day) if h.remediated_day is not None else None,
        "verified_at": _at(h.verified_day) if h.verified_day is not None else None,
        "closed_at": _at(h.closed_day) if h.closed_day is not None else None,
        "trail": trail,
    }  # fmt: skip


@dataclass(frozen=True)
class YearResult:
    elevators: int
    hazards: int
    indicators: HazardIndicators
    escalations: int

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"elevators": self.elevators, "hazards": self.hazards}
        for g in self.indicators.by_grade:
            out[g.grade] = {
                "reported": g.reported, "remediated": g.remediated, "on_time": g.on_time,
                "overdue": g.overdue, "remediation_rate": g.remediation_rate,
                "median_days": g.median_days,
            }  # fmt: skip
        out["serious_target"] = self.indicators.serious_target
        out["open_at_year_end"] = self.indicators.open_total
        out["overdue_at_year_end"] = self.indicators.overdue_now
        out["escalations_at_year_end"] = self.escalations
        return out


def run_year(server_url: str, n: int, seed: int, settings: HazardSettings) -> YearResult:
    fleet = generate_fleet(n, seed, YEAR0)
    behaviour = unit_behaviour(fleet, seed + 300)
    found = simulate_hazards(acting_fleet(fleet, behaviour), behaviour, YEAR0, 365, seed + 400)
    scratch = create_database(server_url, "eval_hazards")
    try:
        with psycopg.connect(scratch.url, autocommit=True) as conn:
            with conn.transaction():
                save_fleet(conn, fleet)
                import_hazards(conn, [_row(h, settings) for h in found])
            until = _at(365)
            escalated = escalate(conn, until)
            every = Scope(every=True)
            result = figures(
                _at(0), until, ind.remediation_sync(conn, every, _at(0), until),
                ind.open_by_sync(conn, every, until),
            )  # fmt: skip
    finally:
        scratch.drop()
    return YearResult(len(fleet.elevators), len(found), result, len(escalated.escalated))


def lines(r: YearResult) -> list[str]:
    out = [f"{r.elevators} elevators, {r.hazards} hazards reported in a simulated year"]
    for g in r.indicators.by_grade:
        label = "serious (重大)" if g.grade == Grade.SERIOUS.value else "general (一般)"
        rate = "n/a" if g.remediation_rate is None else f"{100 * g.remediation_rate:.1f} %"
        target = " (target 100 %)" if g.grade == Grade.SERIOUS.value else ""
        out.append(
            f"{label}: {g.reported} reported, remediated {g.remediated} = {rate}{target};"
            f" on time {g.on_time}; overdue (late or not remediated) {g.overdue};"
            f" median days to remediate {g.median_days}"
        )
    out.append(
        f"at year end: {r.indicators.open_total} open, {r.indicators.overdue_now} overdue"
        f" (escalations made: {r.escalations})"
    )
    return out
