"""The dispatch engine: the dispatching core plus the case's later steps (en route, on
site, released, closed, or false alarm / cancelled) and the once-a-second supervision
(expired offers, tier windows, SLA breaches, insurance flags, missed alarms).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.alarms import RESCUE_TYPES
from rescue import policy
from rescue import repository as repo
from rescue.dispatching import (
    DISPATCHER,
    CaseRef,
    Clock,
    DispatchCore,
    HotlineCall,
    utc_now,
)
from rescue.errors import InvalidCall, NotAssigned, NotFound, RescueError
from rescue.lifecycle import ACTIVE, UNDECIDED, CaseState, check_transition
from storage.events import notify

__all__ = ["CaseRef", "Clock", "DispatchEngine", "HotlineCall", "TickReport", "utc_now"]

_ACTIVE = [s.value for s in ACTIVE]


@dataclass
class TickReport:
    alarms_opened: int = 0
    offers_expired: int = 0
    dispatched: int = 0
    sla_breaches: int = 0
    insurance_flags: int = 0
    errors: list[str] = field(default_factory=list)


def _check_position(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidCall(f"position ({lon}, {lat}) is not a WGS-84 longitude/latitude")


class DispatchEngine(DispatchCore):
    # -- the case's steps ---------------------------------------------------------------
    def _assigned(self, case: repo.CaseRow, rescuer_id: int | None) -> None:
        if rescuer_id is not None and case.rescuer_id != rescuer_id:
            raise NotAssigned(f"case {case.id} is not assigned to rescuer {rescuer_id}")

    def depart(self, case_id: int, rescuer_id: int | None, actor: str) -> repo.CaseRow:
        with self.txn():
            case = self.load(case_id)
            self._assigned(case, rescuer_id)
            check_transition(case_id, case.state, CaseState.EN_ROUTE)
            now = self.clock()
            repo.set_case(self.conn, case_id, state=CaseState.EN_ROUTE.value)
            case.state = CaseState.EN_ROUTE.value
            self.record(case, now, "en_route", actor)
            return case

    def report_position(self, rescuer_id: int, lon: float, lat: float) -> int | None:
        """A rescuer's position; his accepted case goes en route. Returns his case."""
        _check_position(lon, lat)
        with self.txn():
            now = self.clock()
            if not repo.set_rescuer_position(self.conn, rescuer_id, lon, lat, now):
                raise NotFound(f"rescuer {rescuer_id} does not exist")
            case_id = repo.active_case_of_rescuer(self.conn, rescuer_id)
            if case_id is None:
                return None
            case = self.load(case_id)
            if case.state == CaseState.ACCEPTED.value:
                repo.set_case(self.conn, case_id, state=CaseState.EN_ROUTE.value)
                case.state = CaseState.EN_ROUTE.value
                self.record(case, now, "en_route", f"rescuer:{rescuer_id}")
            notify(
                self.conn,
                "case",
                {
                    "id": case_id,
                    "step": "position",
                    "rescuer_id": rescuer_id,
                    "lon": lon,
                    "lat": lat,
                    "at": now.isoformat(),
                    "company_id": case.company_id,
                },
            )
            return case_id

    def arrive(self, case_id: int, rescuer_id: int | None, actor: str) -> repo.CaseRow:
        with self.txn():
            case = self.load(case_id)
            self._assigned(case, rescuer_id)
            check_transition(case_id, case.state, CaseState.ON_SITE)
            now = self.clock()
            repo.set_case(self.conn, case_id, state=CaseState.ON_SITE.value, arrived_at=now)
            if case.rescuer_id is not None:
                repo.set_rescuer_position(self.conn, case.rescuer_id, case.lon, case.lat, now)
            case.state, case.arrived_at = CaseState.ON_SITE.value, now
            minutes = (now - case.reported_at).total_seconds() / 60
            self.record(case, now, "on_site", actor, arrival_min=round(minutes, 2))
            return case

    def release(
        self, case_id: int, rescuer_id: int | None, actor: str, people: int | None = None
    ) -> repo.CaseRow:
        """Passengers are out; flags insurance if they were trapped long enough."""
        if people is not None and not 0 <= people <= 50:
            raise InvalidCall("people released must be between 0 and 50")
        with self.txn():
            case = self.load(case_id)
            self._assigned(case, rescuer_id)
            check_transition(case_id, case.state, CaseState.RELEASED)
            now = self.clock()
            insured = case.insurance_flag or now >= policy.insurance_due(
                self.settings, case.trapped_since
            )
            columns: dict[str, Any] = {
                "state": CaseState.RELEASED.value,
                "released_at": now,
                "insurance_flag": insured,
            }
            if people is not None:
                columns["people_trapped"] = people
            repo.set_case(self.conn, case_id, **columns)
            case.state, case.released_at, case.insurance_flag = columns["state"], now, insured
            trapped = (now - case.trapped_since).total_seconds() / 60
            self.record(case, now, "released", actor, trapped_min=round(trapped, 2), people=people)
            return case

    def close(self, case_id: int, actor: str) -> repo.CaseRow:
        return self._finish(case_id, CaseState.CLOSED, actor, "")

    def cancel(self, case_id: int, actor: str, reason: str = "") -> repo.CaseRow:
        return self._finish(case_id, CaseState.CANCELLED, actor, reason)

    def false_alarm(self, case_id: int, actor: str, reason: str = "") -> repo.CaseRow:
        return self._finish(case_id, CaseState.FALSE_ALARM, actor, reason)

    def _finish(self, case_id: int, state: CaseState, actor: str, reason: str) -> repo.CaseRow:
        with self.txn():
            case = self.load(case_id)
            check_transition(case_id, case.state, state)
            now = self.clock()
            self._withdraw(now, case_id=case_id)
            repo.set_case(self.conn, case_id, state=state.value, closed_at=now)
            case.state, case.closed_at = state.value, now
            self.record(case, now, state.value, actor, reason=reason[:500])
            return case

    # -- supervision --------------------------------------------------------------------
    def tick(self) -> TickReport:
        """Once a second: missed alarms, expired offers, tier windows, SLA, insurance."""
        report = TickReport()
        now = self.clock()
        for alarm_id in repo.unlinked_rescue_alarms(
            self.conn, [t.value for t in RESCUE_TYPES], now - timedelta(hours=1)
        ):
            self._guard(report, lambda a=alarm_id: self.open_case_for_alarm(a))
            report.alarms_opened += 1
        with self.txn():
            expired = repo.close_offers(self.conn, state="expired", at=now, only_expired_by=now)
            for o in expired:
                self.notifier.offer(
                    self.conn,
                    now,
                    {"id": o.id, "case_id": o.case_id, "state": "expired"},
                    o.rescuer_id,
                )
                repo.append_event(
                    self.conn,
                    o.case_id,
                    now,
                    "offer_expired",
                    DISPATCHER,
                    {"rescuer_id": o.rescuer_id},
                )
        report.offers_expired = len(expired)
        for case_id in self._cases_to_dispatch(now):
            self._guard(report, lambda c=case_id: self.dispatch(c))
            report.dispatched += 1
        for case_id in self._breached(now):
            self._guard(report, lambda c=case_id: self._escalate_breach(c))
            report.sla_breaches += 1
        for case_id in self._insurance_due(now):
            self._guard(report, lambda c=case_id: self._flag_insurance(c))
            report.insurance_flags += 1
        return report

    def _guard(self, report: TickReport, action: Any) -> None:
        try:
            action()
        except RescueError as exc:  # a refused step is logged, the tick goes on
            report.errors.append(str(exc))

    def _cases_to_dispatch(self, now: datetime) -> list[int]:
        rows = self.conn.execute(
            """SELECT c.id, c.reported_at, c.tier,
                      (SELECT count(*) FROM dispatch_offers o
                       WHERE o.case_id = c.id AND o.state = 'pending')
               FROM rescue_cases c WHERE c.state = ANY(%s) ORDER BY c.reported_at""",
            ([s.value for s in UNDECIDED],),
        ).fetchall()
        due = []
        for case_id, reported_at, tier, pending in rows:
            elapsed = (now - reported_at).total_seconds()
            if pending == 0 or policy.scheduled_tier(self.settings, elapsed) > tier:
                due.append(int(case_id))
        return due

    def _breached(self, now: datetime) -> list[int]:
        rows = self.conn.execute(
            """SELECT c.id FROM rescue_cases c
               WHERE c.state = ANY(%s) AND c.arrived_at IS NULL AND c.arrival_due_at <= %s
                 AND NOT EXISTS (SELECT 1 FROM rescue_escalations x
                                 WHERE x.case_id = c.id AND x.kind = 'sla_breach')""",
            (_ACTIVE, now),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def _escalate_breach(self, case_id: int) -> None:
        """Arrival overdue: supervisor alert, and the next tier called in as backup."""
        with self.txn():
            case = self.load(case_id)
            now = self.clock()
            if case.arrived_at is not None or CaseState(case.state) not in ACTIVE:
                return
            tier = min(policy.TIER_FIRE_SERVICE, case.tier + 1)
            detail = {
                "due": case.arrival_due_at.isoformat() if case.arrival_due_at else None,
                "from_tier": case.tier,
                "to_tier": tier,
            }
            if not repo.add_escalation(self.conn, case_id, "sla_breach", now, detail):
                return
            fire = case.fire_service or tier == policy.TIER_FIRE_SERVICE
            repo.set_case(self.conn, case_id, tier=tier, fire_service=fire)
            case.tier, case.fire_service = tier, fire
            self.record(case, now, "sla_breach", DISPATCHER, **detail)

    def _insurance_due(self, now: datetime) -> list[int]:
        limit = now - timedelta(minutes=self.settings.insurance_trapped_min)
        rows = self.conn.execute(
            """SELECT id FROM rescue_cases WHERE state = ANY(%s) AND NOT insurance_flag
                 AND trapped_since <= %s""",
            (_ACTIVE, limit),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def _flag_insurance(self, case_id: int) -> None:
        with self.txn():
            case = self.load(case_id)
            now = self.clock()
            if case.insurance_flag or CaseState(case.state) not in ACTIVE:
                return
            repo.set_case(self.conn, case_id, insurance_flag=True)
            case.insurance_flag = True
            minutes = round((now - case.trapped_since).total_seconds() / 60, 1)
            repo.add_escalation(self.conn, case_id, "insurance", now, {"trapped_min": minutes})
            self.record(case, now, "insurance_flag", DISPATCHER, trapped_min=minutes)

    def next_due(self) -> datetime | None:
        """The earliest moment :meth:`tick` has something to do (for simulated time)."""
        times: list[datetime] = []
        row = self.conn.execute(
            "SELECT min(expires_at) FROM dispatch_offers WHERE state = 'pending'"
        ).fetchone()
        if row and row[0]:
            times.append(row[0])
        s = self.settings
        for reported_at, tier in self.conn.execute(
            "SELECT reported_at, tier FROM rescue_cases WHERE state = ANY(%s)",
            ([st.value for st in UNDECIDED],),
        ).fetchall():
            for boundary, t in ((s.tier1_window_s, 2), (s.tier1_window_s + s.tier2_window_s, 3)):
                if tier < t and t in s.tiers:
                    times.append(reported_at + timedelta(seconds=boundary))
                    break
        row = self.conn.execute(
            """SELECT min(c.arrival_due_at) FROM rescue_cases c
               WHERE c.state = ANY(%s) AND c.arrived_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM rescue_escalations x
                                 WHERE x.case_id = c.id AND x.kind = 'sla_breach')""",
            (_ACTIVE,),
        ).fetchone()
        if row and row[0]:
            times.append(row[0])
        row = self.conn.execute(
            "SELECT min(trapped_since) FROM rescue_cases"
            " WHERE state = ANY(%s) AND NOT insurance_flag",
            (_ACTIVE,),
        ).fetchone()
        if row and row[0]:
            times.append(policy.insurance_due(s, row[0]))
        return min(times) if times else None
