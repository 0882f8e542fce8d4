"""Supervision, once a second: alarms whose notification was missed, expired offers,
tier windows, SLA breaches (supervisor alert, next tier as backup), insurance flags;
and the earliest moment there is something to do (for simulated time)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.alarms import RESCUE_TYPES
from rescue import policy
from rescue.context import DISPATCHER, DispatchContext
from rescue.errors import RescueError
from rescue.intake import Intake
from rescue.lifecycle import ACTIVE, UNDECIDED, CaseState
from rescue.offers import OfferRounds
from rescue.repository import cases as case_repository
from rescue.repository import supervision as supervision_repository

_UNDECIDED = [state.value for state in UNDECIDED]


@dataclass
class TickReport:
    alarms_opened: int = 0
    offers_expired: int = 0
    dispatched: int = 0
    sla_breaches: int = 0
    insurance_flags: int = 0
    errors: list[str] = field(default_factory=list)


class Supervision:
    def __init__(self, context: DispatchContext, intake: Intake, offers: OfferRounds) -> None:
        self.context = context
        self.intake = intake
        self.offers = offers

    def tick(self) -> TickReport:
        """Once a second: missed alarms, expired offers, tier windows, SLA, insurance."""
        report = TickReport()
        now = self.context.clock()
        missed = case_repository.unlinked_rescue_alarms(
            self.context.conn, [kind.value for kind in RESCUE_TYPES], now - timedelta(hours=1)
        )
        report.alarms_opened = _each(missed, self.intake.open_case_for_alarm, report)
        report.offers_expired = self.offers.expire(now)
        report.dispatched = _each(self._cases_to_dispatch(now), self.offers.dispatch, report)
        breached = supervision_repository.breached_cases(self.context.conn, now)
        report.sla_breaches = _each(breached, self._escalate_breach, report)
        limit = now - timedelta(minutes=self.context.settings.insurance_trapped_min)
        flagged = supervision_repository.insurance_due_cases(self.context.conn, limit)
        report.insurance_flags = _each(flagged, self._flag_insurance, report)
        return report

    def _cases_to_dispatch(self, now: datetime) -> list[int]:
        """Undecided cases with no pending offer, or whose tier window has passed."""
        due = []
        for case in supervision_repository.undecided_cases(self.context.conn, _UNDECIDED):
            elapsed = (now - case.reported_at).total_seconds()
            tier = policy.scheduled_tier(self.context.settings, elapsed)
            if case.pending_offers == 0 or tier > case.tier:
                due.append(case.id)
        return due

    def _escalate_breach(self, case_id: int) -> None:
        """Arrival overdue: supervisor alert, and the next tier called in as backup."""
        context = self.context
        with context.transaction():
            case = context.load(case_id)
            now = context.clock()
            if case.arrived_at is not None or CaseState(case.state) not in ACTIVE:
                return
            tier = min(policy.TIER_FIRE_SERVICE, case.tier + 1)
            detail = {
                "due": case.arrival_due_at.isoformat() if case.arrival_due_at else None,
                "from_tier": case.tier,
                "to_tier": tier,
            }
            if not case_repository.add_escalation(context.conn, case_id, "sla_breach", now, detail):
                return
            fire = case.fire_service or tier == policy.TIER_FIRE_SERVICE
            case = context.change(case, tier=tier, fire_service=fire)
            context.record(case, now, "sla_breach", DISPATCHER, **detail)

    def _flag_insurance(self, case_id: int) -> None:
        context = self.context
        with context.transaction():
            case = context.load(case_id)
            now = context.clock()
            if case.insurance_flag or CaseState(case.state) not in ACTIVE:
                return
            case = context.change(case, insurance_flag=True)
            minutes = round((now - case.trapped_since).total_seconds() / 60, 1)
            case_repository.add_escalation(
                context.conn, case_id, "insurance", now, {"trapped_min": minutes}
            )
            context.record(case, now, "insurance_flag", DISPATCHER, trapped_min=minutes)

    def next_due(self) -> datetime | None:
        """The earliest moment :meth:`tick` has something to do (for simulated time)."""
        settings = self.context.settings
        due = supervision_repository.due_times(self.context.conn)
        times = [at for at in (due.offer_expires_at, due.arrival_due_at) if at is not None]
        windows = (
            (settings.tier1_window_s, 2),
            (settings.tier1_window_s + settings.tier2_window_s, 3),
        )
        for case in supervision_repository.undecided_cases(self.context.conn, _UNDECIDED):
            for boundary, tier in windows:
                if case.tier < tier and tier in settings.tiers:
                    times.append(case.reported_at + timedelta(seconds=boundary))
                    break
        if due.trapped_since is not None:
            times.append(policy.insurance_due(settings, due.trapped_since))
        return min(times) if times else None


def _each(case_ids: Iterable[int], action: Callable[[int], object], report: TickReport) -> int:
    """Run ``action`` on each; a refused step is logged in the report, the tick goes on."""
    count = 0
    for case_id in case_ids:
        try:
            action(case_id)
        except RescueError as exc:
            report.errors.append(str(exc))
        count += 1
    return count
