"""The dispatch engine: one facade over the parts of a rescue, sharing one context.

``intake`` (alarm or hotline call -> case), ``offers`` (offer rounds, accept, decline,
withdraw, expire), ``progress`` (en route, on site, released, closed, cancelled, false
alarm) and ``supervision`` (the once-a-second tick: SLA, tier windows, timeouts).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg

from rescue import policy
from rescue.config import DispatchSettings
from rescue.context import Clock, DispatchContext, utc_now
from rescue.intake import Intake
from rescue.lifecycle import CaseState
from rescue.model import CaseRef, HotlineCall, RescueCase
from rescue.notifications import Notifier
from rescue.offers import OfferRounds
from rescue.progress import Progress
from rescue.supervision import Supervision, TickReport

__all__ = ["CaseRef", "Clock", "DispatchEngine", "HotlineCall", "TickReport", "utc_now"]


class DispatchEngine:
    def __init__(
        self,
        conn: psycopg.Connection[Any],
        settings: DispatchSettings,
        *,
        clock: Clock = utc_now,
        notifier: Notifier | None = None,
        urban: Mapping[str, bool] | None = None,
    ) -> None:
        self.context = DispatchContext(conn, settings, clock=clock, notifier=notifier, urban=urban)
        self.offers = OfferRounds(self.context)
        self.intake = Intake(self.context, self.offers.dispatch)
        self.progress = Progress(self.context, self.offers)
        self.supervision = Supervision(self.context, self.intake, self.offers)

    @property
    def conn(self) -> psycopg.Connection[Any]:
        return self.context.conn

    @property
    def settings(self) -> DispatchSettings:
        return self.context.settings

    # -- intake -------------------------------------------------------------------------
    def open_case_for_alarm(self, alarm_id: int, actor: str = "terminal") -> CaseRef:
        return self.intake.open_case_for_alarm(alarm_id, actor)

    def open_case_from_call(self, call: HotlineCall, actor: str = "desk") -> CaseRef:
        return self.intake.open_case_from_call(call, actor)

    # -- offers -------------------------------------------------------------------------
    def dispatch(self, case_id: int) -> policy.Decision | None:
        return self.offers.dispatch(case_id)

    def accept(self, case_id: int, rescuer_id: int, actor: str | None = None) -> RescueCase:
        return self.offers.accept(case_id, rescuer_id, actor)

    def decline(
        self, case_id: int, rescuer_id: int, actor: str | None = None, reason: str = ""
    ) -> None:
        self.offers.decline(case_id, rescuer_id, actor, reason)

    # -- progress -----------------------------------------------------------------------
    def depart(self, case_id: int, rescuer_id: int | None, actor: str) -> RescueCase:
        return self.progress.depart(case_id, rescuer_id, actor)

    def report_position(self, rescuer_id: int, lon: float, lat: float) -> int | None:
        return self.progress.report_position(rescuer_id, lon, lat)

    def arrive(self, case_id: int, rescuer_id: int | None, actor: str) -> RescueCase:
        return self.progress.arrive(case_id, rescuer_id, actor)

    def release(
        self, case_id: int, rescuer_id: int | None, actor: str, people: int | None = None
    ) -> RescueCase:
        return self.progress.release(case_id, rescuer_id, actor, people)

    def close(self, case_id: int, actor: str) -> RescueCase:
        return self.progress.close(case_id, actor)

    def cancel(self, case_id: int, actor: str, reason: str = "") -> RescueCase:
        return self.progress.cancel(case_id, actor, reason)

    def false_alarm(self, case_id: int, actor: str, reason: str = "") -> RescueCase:
        return self.progress.false_alarm(case_id, actor, reason)

    def request_end(
        self, case_id: int, wanted: CaseState, actor: str, reason: str = ""
    ) -> RescueCase:
        return self.progress.request_end(case_id, wanted, actor, reason)

    def confirm_end(self, case_id: int, actor: str, reason: str = "") -> RescueCase:
        return self.progress.confirm_end(case_id, actor, reason)

    def reject_end(self, case_id: int, actor: str, reason: str = "") -> RescueCase:
        return self.progress.reject_end(case_id, actor, reason)

    # -- supervision --------------------------------------------------------------------
    def tick(self) -> TickReport:
        return self.supervision.tick()

    def next_due(self) -> datetime | None:
        return self.supervision.next_due()
