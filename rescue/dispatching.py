"""The dispatching core: applies the pure policy to cases and offers in PostgreSQL.

Every operation is one transaction on the engine's connection (autocommit mode, explicit
transactions). Concurrency is settled by the database: the case row lock serialises
work on one case, conditional updates and partial unique indexes keep one active case
per elevator and per rescuer. Time comes from an injectable clock, so the same code runs
in real time (the service) and in a simulated day (the benchmark).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from domain.alarms import RESCUE_TYPES
from rescue import policy
from rescue import repository as repo
from rescue.config import DispatchSettings
from rescue.errors import (
    InvalidCall,
    NotFound,
    OfferClosed,
    RescueError,
    RescuerBusy,
)
from rescue.lifecycle import UNDECIDED, CaseState
from rescue.notifications import Notifier

Clock = Callable[[], datetime]

DISPATCHER = "dispatcher"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CaseRef:
    case_id: int
    created: bool  # False: the call or alarm joined the elevator's open case


@dataclass(frozen=True)
class HotlineCall:
    """A call to 96333 about an elevator, named by registration code or address."""

    elevator_code: str | None = None
    address: str | None = None
    caller_phone: str = ""
    people_trapped: int = 1
    note: str = ""


class _AlreadyLinked(Exception):
    def __init__(self, case_id: int) -> None:
        self.case_id = case_id


def case_payload(case: repo.CaseRow, step: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": case.id,
        "step": step,
        "state": case.state,
        "elevator_id": case.elevator_id,
        "tier": case.tier,
        "rescuer_id": case.rescuer_id,
        **extra,
    }


class DispatchCore:
    def __init__(
        self,
        conn: psycopg.Connection[Any],
        settings: DispatchSettings,
        *,
        clock: Clock = utc_now,
        notifier: Notifier | None = None,
        urban: Mapping[str, bool] | None = None,
    ) -> None:
        if not conn.autocommit:
            raise ValueError("the dispatch engine needs an autocommit connection")
        self.conn = conn
        self.settings = settings
        self.clock = clock
        self.notifier = notifier or Notifier(topic_root=settings.notify_topic_root)
        self.urban = urban if urban is not None else _district_urban()

    @contextmanager
    def txn(self) -> Iterator[None]:
        """One transaction; its MQTT messages go out only after the commit."""
        try:
            with self.conn.transaction():
                yield
        except BaseException:
            self.notifier.discard()
            raise
        self.notifier.flush()

    # -- recording --------------------------------------------------------------------
    def record(
        self, case: repo.CaseRow, at: datetime, step: str, actor: str, **detail: Any
    ) -> None:
        """Timeline entry plus notification, in the current transaction."""
        repo.append_event(self.conn, case.id, at, step, actor, detail)
        self.notifier.case(self.conn, at, case_payload(case, step, actor=actor), case.company_id)

    def load(self, case_id: int, *, lock: bool = True) -> repo.CaseRow:
        case = repo.get_case(self.conn, case_id, lock=lock)
        if case is None:
            raise NotFound(f"rescue case {case_id} does not exist")
        return case

    # -- opening cases ----------------------------------------------------------------
    def open_case_for_alarm(self, alarm_id: int, actor: str = "terminal") -> CaseRef:
        """Open (or join) the case of an entrapment / alarm-button alarm; idempotent."""
        try:
            with self.txn():
                ref = self._open_for_alarm(alarm_id, actor)
        except _AlreadyLinked as linked:
            return CaseRef(linked.case_id, False)
        if ref.created:
            self.dispatch(ref.case_id)
        return ref

    def _open_for_alarm(self, alarm_id: int, actor: str) -> CaseRef:
        row = self.conn.execute(
            "SELECT elevator_id, type, opened_at, detail FROM alarms WHERE id = %s", (alarm_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"alarm {alarm_id} does not exist")
        elevator_id, alarm_type, opened_at, detail = row
        if alarm_type not in {t.value for t in RESCUE_TYPES}:
            raise RescueError(f"alarm {alarm_id} is {alarm_type}, not a rescue alarm")
        linked = repo.alarm_case(self.conn, alarm_id)
        if linked is not None:
            raise _AlreadyLinked(linked)
        ref = self._open_or_join(
            int(elevator_id),
            source=str(alarm_type),
            alarm_id=alarm_id,
            trapped_since=min(opened_at, self.clock()),
            actor=actor,
            detail={"alarm_id": alarm_id, "alarm_type": alarm_type, "alarm_detail": detail},
        )
        if not repo.link_alarm(self.conn, alarm_id, ref.case_id, not ref.created, self.clock()):
            raise _AlreadyLinked(repo.alarm_case(self.conn, alarm_id) or ref.case_id)
        return ref

    def open_case_from_call(self, call: HotlineCall, actor: str = "desk") -> CaseRef:
        """A hotline call: opens a case, or joins the elevator's open one."""
        if call.people_trapped < 0 or call.people_trapped > 50:
            raise InvalidCall("people_trapped must be between 0 and 50")
        with self.txn():
            found = repo.find_elevators(self.conn, call.elevator_code, call.address)
            if not found:
                if not (call.elevator_code or call.address):
                    raise InvalidCall("a call must name the elevator by code or address")
                raise NotFound("no elevator matches the call's code or address")
            if len(found) > 1:
                codes = ", ".join(e.code for e in found)
                raise InvalidCall(f"the address matches several elevators ({codes}): give the code")
            ref = self._open_or_join(
                found[0].id,
                source="hotline",
                alarm_id=None,
                trapped_since=self.clock(),
                actor=actor,
                detail={"caller_phone": call.caller_phone, "note": call.note},
                people=call.people_trapped,
                phone=call.caller_phone,
            )
        if ref.created:
            self.dispatch(ref.case_id)
        return ref

    def _open_or_join(
        self,
        elevator_id: int,
        *,
        source: str,
        alarm_id: int | None,
        trapped_since: datetime,
        actor: str,
        detail: dict[str, Any],
        people: int = 1,
        phone: str = "",
    ) -> CaseRef:
        now = self.clock()
        elevator = repo.get_elevator(self.conn, elevator_id)
        if elevator is None:
            raise NotFound(f"elevator {elevator_id} does not exist")
        for _ in range(3):  # the open case may close between our two statements
            case_id = repo.insert_case(
                self.conn,
                elevator_id=elevator_id,
                alarm_id=alarm_id,
                source=source,
                trapped_since=trapped_since,
                reported_at=now,
                arrival_due_at=policy.arrival_due(
                    self.settings, now, elevator.district, self.urban
                ),
                people_trapped=people,
                caller_phone=phone,
            )
            if case_id is not None:
                self.record(self.load(case_id), now, "reported", actor, source=source, **detail)
                return CaseRef(case_id, True)
            existing = repo.active_case_of_elevator(self.conn, elevator_id)
            if existing is not None:
                case = self.load(existing)
                self.record(case, now, "joined", actor, source=source, **detail)
                return CaseRef(existing, False)
        raise RescueError(f"could not open a case for elevator {elevator_id}")

    # -- dispatching ------------------------------------------------------------------
    def candidates(self, case: repo.CaseRow, now: datetime) -> list[policy.Ranked]:
        r_km = self.settings.search_radius_km
        dlat = r_km / 111.32
        dlon = r_km / (111.32 * max(0.1, math.cos(math.radians(case.lat))))
        rows = repo.available_rescuers(
            self.conn,
            policy.local_time(now, self.settings.utc_offset_h),
            (case.lon - dlon, case.lat - dlat, case.lon + dlon, case.lat + dlat),
            respect_shifts=self.settings.respect_shifts,
        )
        found = (
            policy.Candidate(r.rescuer_id, r.company_id, r.station_id, r.lon, r.lat) for r in rows
        )
        return policy.rank(self.settings, found, case.lon, case.lat, now)

    def dispatch(self, case_id: int) -> policy.Decision | None:
        """Apply the policy to an undecided case: offer, wait, or hand off to 119."""
        with self.txn():
            case = self.load(case_id)
            if CaseState(case.state) not in UNDECIDED:
                return None
            now = self.clock()
            offers = repo.offers_of_case(self.conn, case_id)
            pending = sum(1 for _, state, _ in offers if state == "pending")
            # An unanswered (expired) offer may ring again, up to max_offer_attempts.
            asked = {
                r
                for r, state, attempts in offers
                if state != "expired" or attempts >= self.settings.max_offer_attempts
            }
            ranked = self.candidates(case, now)
            args: dict[str, Any] = {
                "case_tier": case.tier,
                "elapsed_s": (now - case.reported_at).total_seconds(),
                "pending": pending,
                "ranked": ranked,
                "company_id": case.company_id,
            }
            decision = policy.decide(self.settings, already_offered=asked, **args)
            if decision.action is policy.Action.EXHAUSTED and not pending:
                # No further tier: keep calling those asked before (free ones only).
                decision = policy.decide(self.settings, already_offered=set(), **args)
            if decision.action is policy.Action.OFFER:
                self._send_offers(case, decision, now, len(offers))
            elif decision.action is policy.Action.FIRE_SERVICE:
                self._hand_to_fire_service(case, now, decision.reason)
            return decision

    def _send_offers(
        self, case: repo.CaseRow, decision: policy.Decision, now: datetime, asked: int
    ) -> None:
        expires = now + timedelta(seconds=self.settings.offer_timeout_s)
        round_no = 1 + asked // max(1, self.settings.offer_size)
        sent = []
        for r in decision.offers:
            offer = repo.insert_offer(
                self.conn,
                case_id=case.id,
                rescuer_id=r.rescuer_id,
                tier=decision.tier,
                round_no=round_no,
                eta_s=r.eta_s,
                distance_m=r.distance_m,
                offered_at=now,
                expires_at=expires,
            )
            if offer is None:
                continue
            sent.append({"rescuer_id": r.rescuer_id, "eta_s": round(r.eta_s)})
            self.notifier.offer(
                self.conn,
                now,
                {
                    "id": offer.id,
                    "case_id": case.id,
                    "state": "pending",
                    "tier": decision.tier,
                    "eta_s": round(r.eta_s),
                    "expires_at": expires.isoformat(),
                    "elevator_id": case.elevator_id,
                    "lon": case.lon,
                    "lat": case.lat,
                },
                r.rescuer_id,
            )
        if not sent:
            return
        escalated = decision.tier > case.tier
        repo.set_case(self.conn, case.id, state=CaseState.OFFERED.value, tier=decision.tier)
        case.state, case.tier = CaseState.OFFERED.value, decision.tier
        if escalated:
            self.record(case, now, "escalated", DISPATCHER, tier=decision.tier)
        self.record(case, now, "offered", DISPATCHER, tier=decision.tier, offers=sent)

    def _hand_to_fire_service(self, case: repo.CaseRow, now: datetime, reason: str) -> None:
        self._withdraw(now, case_id=case.id)
        repo.set_case(
            self.conn,
            case.id,
            state=CaseState.ACCEPTED.value,
            tier=policy.TIER_FIRE_SERVICE,
            fire_service=True,
            decided_at=now,
            accepted_at=now,
        )
        case.state, case.tier, case.fire_service = CaseState.ACCEPTED.value, 3, True
        repo.add_escalation(self.conn, case.id, "fire_service", now, {"reason": reason})
        self.record(case, now, "fire_service", DISPATCHER, reason=reason)

    def _withdraw(
        self, now: datetime, *, case_id: int | None = None, rescuer_id: int | None = None
    ) -> list[int]:
        """Withdraw open offers of a case or of a rescuer; the cases they belonged to."""
        closed = repo.close_offers(
            self.conn, state="withdrawn", at=now, case_id=case_id, rescuer_id=rescuer_id
        )
        for o in closed:
            self._notify_offer(o, "withdrawn", now)
        return sorted({o.case_id for o in closed})

    # -- answers to offers ------------------------------------------------------------
    def _offer(self, case_id: int, rescuer_id: int) -> repo.OfferRow:
        """The rescuer's offer for the case, locked."""
        offer = repo.get_offer(self.conn, case_id, rescuer_id, lock=True)
        if offer is None:
            raise NotFound(f"rescuer {rescuer_id} has no offer for case {case_id}")
        return offer

    def _answer(self, offer: repo.OfferRow, state: str, now: datetime) -> None:
        repo.answer_offer(self.conn, offer.id, state, now)
        self._notify_offer(offer, state, now)

    def _notify_offer(self, offer: repo.OfferRow, state: str, now: datetime) -> None:
        """Tell the rescuer (and the live views) what became of his offer."""
        self.notifier.offer(
            self.conn, now, {"id": offer.id, "case_id": offer.case_id, "state": state},
            offer.rescuer_id,
        )  # fmt: skip

    def accept(self, case_id: int, rescuer_id: int, actor: str | None = None) -> repo.CaseRow:
        """The rescuer takes the case; exactly one accept wins (case row lock)."""
        actor = actor or f"rescuer:{rescuer_id}"
        with self.txn():
            case = self.load(case_id)
            offer = self._offer(case_id, rescuer_id)
            now = self.clock()
            if CaseState(case.state) not in UNDECIDED:
                raise OfferClosed(f"case {case_id} is already {case.state}")
            if offer.state != "pending":
                raise OfferClosed(f"the offer is {offer.state}")
            if offer.expires_at <= now:
                raise OfferClosed("the offer has expired")
            try:
                with self.conn.transaction():
                    repo.set_case(
                        self.conn,
                        case_id,
                        state=CaseState.ACCEPTED.value,
                        rescuer_id=rescuer_id,
                        decided_at=now,
                        accepted_at=now,
                    )
            except pg_errors.UniqueViolation:
                raise RescuerBusy(f"rescuer {rescuer_id} already holds an active case") from None
            self._answer(offer, "accepted", now)
            self._withdraw(now, case_id=case_id)
            others = self._withdraw(now, rescuer_id=rescuer_id)
            case.state, case.rescuer_id = CaseState.ACCEPTED.value, rescuer_id
            self.record(case, now, "accepted", actor, rescuer_id=rescuer_id, eta_s=offer.eta_s)
        for other in others:  # his other offers were withdrawn: those cases ask again
            self.dispatch(other)
        return case

    def decline(
        self, case_id: int, rescuer_id: int, actor: str | None = None, reason: str = ""
    ) -> None:
        actor = actor or f"rescuer:{rescuer_id}"
        with self.txn():
            case = self.load(case_id)
            offer = self._offer(case_id, rescuer_id)
            if offer.state != "pending":
                raise OfferClosed(f"the offer is {offer.state}")
            now = self.clock()
            self._answer(offer, "declined", now)
            self.record(case, now, "declined", actor, rescuer_id=rescuer_id, reason=reason[:200])
        self.dispatch(case_id)


def _district_urban() -> dict[str, bool]:
    """Urban flags of the city's districts from :mod:`domain.districts`, when present."""
    try:
        from domain import districts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return {}
    found: dict[str, bool] = {}
    for d in getattr(districts, "DISTRICTS", ()):
        name, urban = getattr(d, "name", None), getattr(d, "urban", None)
        if isinstance(name, str) and isinstance(urban, bool):
            found[name] = urban
    return found
