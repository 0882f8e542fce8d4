"""A case's progress once decided: en route, positions, on site, released, and its end
(closed, or false alarm / cancelled at any time before)."""

from __future__ import annotations

from typing import Any

from rescue import policy
from rescue.context import DispatchContext
from rescue.errors import InvalidCall, NoEndRequest, NotAssigned, NotFound
from rescue.lifecycle import END_REQUESTS, CaseState, check_transition
from rescue.model import RescueCase
from rescue.offers import OfferRounds
from rescue.repository import cases as case_repository
from rescue.repository import rescuers as rescuer_repository
from storage.events import notify


def _check_position(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidCall(f"position ({lon}, {lat}) is not a WGS-84 longitude/latitude")


def _check_assigned(case: RescueCase, rescuer_id: int | None) -> None:
    if rescuer_id is not None and case.rescuer_id != rescuer_id:
        raise NotAssigned(f"case {case.id} is not assigned to rescuer {rescuer_id}")


class Progress:
    def __init__(self, context: DispatchContext, offers: OfferRounds) -> None:
        self.context = context
        self.offers = offers

    def depart(self, case_id: int, rescuer_id: int | None, actor: str) -> RescueCase:
        context = self.context
        with context.transaction():
            case = context.load(case_id)
            _check_assigned(case, rescuer_id)
            check_transition(case_id, case.state, CaseState.EN_ROUTE)
            now = context.clock()
            case = context.change(case, state=CaseState.EN_ROUTE.value)
            context.record(case, now, "en_route", actor)
            return case

    def report_position(self, rescuer_id: int, lon: float, lat: float) -> int | None:
        """A rescuer's position; his accepted case goes en route. Returns his case."""
        _check_position(lon, lat)
        context = self.context
        with context.transaction():
            now = context.clock()
            if not rescuer_repository.set_rescuer_position(context.conn, rescuer_id, lon, lat, now):
                raise NotFound(f"rescuer {rescuer_id} does not exist")
            case_id = case_repository.active_case_of_rescuer(context.conn, rescuer_id)
            if case_id is None:
                return None
            case = context.load(case_id)
            if case.state == CaseState.ACCEPTED.value:
                case = context.change(case, state=CaseState.EN_ROUTE.value)
                context.record(case, now, "en_route", f"rescuer:{rescuer_id}")
            notify(
                context.conn,
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

    def arrive(self, case_id: int, rescuer_id: int | None, actor: str) -> RescueCase:
        context = self.context
        with context.transaction():
            case = context.load(case_id)
            _check_assigned(case, rescuer_id)
            check_transition(case_id, case.state, CaseState.ON_SITE)
            now = context.clock()
            case = context.change(case, state=CaseState.ON_SITE.value, arrived_at=now)
            if case.rescuer_id is not None:
                rescuer_repository.set_rescuer_position(
                    context.conn, case.rescuer_id, case.lon, case.lat, now
                )
            minutes = (now - case.reported_at).total_seconds() / 60
            context.record(case, now, "on_site", actor, arrival_min=round(minutes, 2))
            return case

    def release(
        self, case_id: int, rescuer_id: int | None, actor: str, people: int | None = None
    ) -> RescueCase:
        """Passengers are out; flags insurance if they were trapped long enough."""
        if people is not None and not 0 <= people <= 50:
            raise InvalidCall("people released must be between 0 and 50")
        context = self.context
        with context.transaction():
            case = context.load(case_id)
            _check_assigned(case, rescuer_id)
            check_transition(case_id, case.state, CaseState.RELEASED)
            now = context.clock()
            insured = case.insurance_flag or now >= policy.insurance_due(
                context.settings, case.trapped_since
            )
            columns: dict[str, Any] = {
                "state": CaseState.RELEASED.value,
                "released_at": now,
                "insurance_flag": insured,
            }
            if people is not None:
                columns["people_trapped"] = people
            case = context.change(case, **columns)
            trapped = (now - case.trapped_since).total_seconds() / 60
            context.record(case, now, "released", actor, trapped_min=round(trapped, 2),
                           people=people)  # fmt: skip
            return case

    def close(self, case_id: int, actor: str) -> RescueCase:
        return self._finish(case_id, CaseState.CLOSED, actor, "")

    def cancel(self, case_id: int, actor: str, reason: str = "") -> RescueCase:
        return self._finish(case_id, CaseState.CANCELLED, actor, reason)

    def false_alarm(self, case_id: int, actor: str, reason: str = "") -> RescueCase:
        return self._finish(case_id, CaseState.FALSE_ALARM, actor, reason)

    def request_end(
        self, case_id: int, wanted: CaseState, actor: str, reason: str = ""
    ) -> RescueCase:
        """A company or rescuer asks the desk to end the case (false alarm or cancelled):
        recorded on the timeline and the case, which stays as it is until the desk
        confirms (:meth:`confirm_end`) or rejects (:meth:`reject_end`)."""
        if wanted not in END_REQUESTS:
            raise InvalidCall(f"one may ask only for {', '.join(sorted(END_REQUESTS))}")
        context = self.context
        with context.transaction():
            case = context.load(case_id)
            check_transition(case_id, case.state, wanted)
            now = context.clock()
            case = context.change(case, end_request=wanted.value)
            context.record(case, now, "end_requested", actor, wanted=wanted.value,
                           reason=reason[:500])  # fmt: skip
            return case

    def confirm_end(self, case_id: int, actor: str, reason: str = "") -> RescueCase:
        """The desk grants the pending end request."""
        with self.context.transaction():
            wanted = self._pending_request(case_id)
        return self._finish(case_id, wanted, actor, reason)

    def reject_end(self, case_id: int, actor: str, reason: str = "") -> RescueCase:
        """The desk turns the pending end request down; the case goes on."""
        context = self.context
        with context.transaction():
            wanted = self._pending_request(case_id)
            case = context.change(context.load(case_id), end_request=None)
            context.record(case, context.clock(), "end_request_rejected", actor,
                           wanted=wanted.value, reason=reason[:500])  # fmt: skip
            return case

    def _pending_request(self, case_id: int) -> CaseState:
        case = self.context.load(case_id)
        if case.end_request is None:
            raise NoEndRequest(f"case {case_id} has no pending end request")
        return CaseState(case.end_request)

    def _finish(self, case_id: int, state: CaseState, actor: str, reason: str) -> RescueCase:
        context = self.context
        with context.transaction():
            case = context.load(case_id)
            check_transition(case_id, case.state, state)
            now = context.clock()
            self.offers.withdraw(now, case_id=case_id)
            case = context.change(case, state=state.value, closed_at=now, end_request=None)
            context.record(case, now, state.value, actor, reason=reason[:500])
            return case
