"""Offer rounds: rank the free rescuers, offer the case tier by tier or hand it to 119,
and the rescuers' answers (accept, decline) and the offers' ends (withdrawn, expired)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from psycopg import errors as pg_errors

from rescue import policy
from rescue.context import DISPATCHER, DispatchContext
from rescue.errors import NotFound, OfferClosed, RescuerBusy
from rescue.lifecycle import UNDECIDED, CaseState
from rescue.model import Offer, RescueCase
from rescue.repository import cases as case_repository
from rescue.repository import offers as offer_repository
from rescue.repository import rescuers as rescuer_repository


class OfferRounds:
    def __init__(self, context: DispatchContext) -> None:
        self.context = context

    # -- dispatching ------------------------------------------------------------------
    def candidates(self, case: RescueCase, now: datetime) -> list[policy.Ranked]:
        settings = self.context.settings
        radius_km = settings.search_radius_km
        delta_lat = radius_km / 111.32
        delta_lon = radius_km / (111.32 * max(0.1, math.cos(math.radians(case.lat))))
        rows = rescuer_repository.available_rescuers(
            self.context.conn,
            policy.local_time(now, settings.utc_offset_h),
            (case.lon - delta_lon, case.lat - delta_lat, case.lon + delta_lon,
             case.lat + delta_lat),
            respect_shifts=settings.respect_shifts,
        )  # fmt: skip
        found = (
            policy.Candidate(row.rescuer_id, row.company_id, row.station_id, row.lon, row.lat)
            for row in rows
        )
        return policy.rank(settings, found, case.lon, case.lat, now)

    def dispatch(self, case_id: int) -> policy.Decision | None:
        """Apply the policy to an undecided case: offer, wait, or hand off to 119."""
        context = self.context
        with context.transaction():
            case = context.load(case_id)
            if CaseState(case.state) not in UNDECIDED:
                return None
            now = context.clock()
            offers = offer_repository.offers_of_case(context.conn, case_id)
            decision = self._decide(case, offers, now)
            if decision.action is policy.Action.OFFER:
                self._send_offers(case, decision, now, len(offers))
            elif decision.action is policy.Action.FIRE_SERVICE:
                self._hand_to_fire_service(case, now, decision.reason)
            return decision

    def _decide(self, case: RescueCase, offers: list[Offer], now: datetime) -> policy.Decision:
        settings = self.context.settings
        pending = sum(1 for offer in offers if offer.state == "pending")
        # An unanswered (expired) offer may ring again, up to max_offer_attempts.
        asked = {
            offer.rescuer_id
            for offer in offers
            if offer.state != "expired" or offer.attempts >= settings.max_offer_attempts
        }
        arguments: dict[str, Any] = {
            "case_tier": case.tier,
            "elapsed_s": (now - case.reported_at).total_seconds(),
            "pending": pending,
            "ranked": self.candidates(case, now),
            "company_id": case.company_id,
        }
        decision = policy.decide(settings, already_offered=asked, **arguments)
        if decision.action is policy.Action.EXHAUSTED and not pending:
            # No further tier: keep calling those asked before (free ones only).
            decision = policy.decide(settings, already_offered=set(), **arguments)
        return decision

    def _send_offers(
        self, case: RescueCase, decision: policy.Decision, now: datetime, asked: int
    ) -> None:
        context = self.context
        expires = now + timedelta(seconds=context.settings.offer_timeout_s)
        round_number = 1 + asked // max(1, context.settings.offer_size)
        sent = []
        for ranked in decision.offers:
            offer = offer_repository.insert_offer(
                context.conn,
                case_id=case.id,
                rescuer_id=ranked.rescuer_id,
                tier=decision.tier,
                round_number=round_number,
                eta_s=ranked.eta_s,
                distance_m=ranked.distance_m,
                offered_at=now,
                expires_at=expires,
            )
            if offer is None:
                continue
            sent.append({"rescuer_id": ranked.rescuer_id, "eta_s": round(ranked.eta_s)})
            self._notify_new_offer(case, offer.id, ranked, decision.tier, expires, now)
        if not sent:
            return
        escalated = decision.tier > case.tier
        case = context.change(case, state=CaseState.OFFERED.value, tier=decision.tier)
        if escalated:
            context.record(case, now, "escalated", DISPATCHER, tier=decision.tier)
        context.record(case, now, "offered", DISPATCHER, tier=decision.tier, offers=sent)

    def _notify_new_offer(
        self,
        case: RescueCase,
        offer_id: int,
        ranked: policy.Ranked,
        tier: int,
        expires: datetime,
        now: datetime,
    ) -> None:
        self.context.notifier.offer(
            self.context.conn,
            now,
            {
                "id": offer_id,
                "case_id": case.id,
                "state": "pending",
                "tier": tier,
                "eta_s": round(ranked.eta_s),
                "expires_at": expires.isoformat(),
                "elevator_id": case.elevator_id,
                "lon": case.lon,
                "lat": case.lat,
            },
            ranked.rescuer_id,
        )

    def _hand_to_fire_service(self, case: RescueCase, now: datetime, reason: str) -> None:
        context = self.context
        self.withdraw(now, case_id=case.id)
        case = context.change(
            case,
            state=CaseState.ACCEPTED.value,
            tier=policy.TIER_FIRE_SERVICE,
            fire_service=True,
            decided_at=now,
            accepted_at=now,
        )
        case_repository.add_escalation(
            context.conn, case.id, "fire_service", now, {"reason": reason}
        )
        context.record(case, now, "fire_service", DISPATCHER, reason=reason)

    # -- the ends of offers -----------------------------------------------------------
    def withdraw(
        self, now: datetime, *, case_id: int | None = None, rescuer_id: int | None = None
    ) -> list[int]:
        """Withdraw open offers of a case or of a rescuer; the cases they belonged to."""
        closed = offer_repository.close_offers(
            self.context.conn, state="withdrawn", at=now, case_id=case_id, rescuer_id=rescuer_id
        )
        for offer in closed:
            self._notify_offer(offer, "withdrawn", now)
        return sorted({offer.case_id for offer in closed})

    def expire(self, now: datetime) -> int:
        """Close the offers whose time ran out (one transaction); how many."""
        context = self.context
        with context.transaction():
            expired = offer_repository.close_offers(
                context.conn, state="expired", at=now, only_expired_by=now
            )
            for offer in expired:
                self._notify_offer(offer, "expired", now)
                case_repository.append_event(
                    context.conn, offer.case_id, now, "offer_expired", DISPATCHER,
                    {"rescuer_id": offer.rescuer_id},
                )  # fmt: skip
        return len(expired)

    def _notify_offer(self, offer: Offer, state: str, now: datetime) -> None:
        """Tell the rescuer (and the live views) what became of his offer."""
        self.context.notifier.offer(
            self.context.conn, now, {"id": offer.id, "case_id": offer.case_id, "state": state},
            offer.rescuer_id,
        )  # fmt: skip

    # -- answers to offers ------------------------------------------------------------
    def _offer(self, case_id: int, rescuer_id: int) -> Offer:
        """The rescuer's offer for the case, locked."""
        offer = offer_repository.get_offer(self.context.conn, case_id, rescuer_id, lock=True)
        if offer is None:
            raise NotFound(f"rescuer {rescuer_id} has no offer for case {case_id}")
        return offer

    def _answer(self, offer: Offer, state: str, now: datetime) -> None:
        offer_repository.answer_offer(self.context.conn, offer.id, state, now)
        self._notify_offer(offer, state, now)

    def accept(self, case_id: int, rescuer_id: int, actor: str | None = None) -> RescueCase:
        """The rescuer takes the case; exactly one accept wins (case row lock)."""
        context = self.context
        actor = actor or f"rescuer:{rescuer_id}"
        with context.transaction():
            case = context.load(case_id)
            offer = self._offer(case_id, rescuer_id)
            now = context.clock()
            _check_open(case, offer, now)
            case = self._take(case, rescuer_id, now)
            self._answer(offer, "accepted", now)
            self.withdraw(now, case_id=case_id)
            others = self.withdraw(now, rescuer_id=rescuer_id)
            context.record(case, now, "accepted", actor, rescuer_id=rescuer_id, eta_s=offer.eta_s)
        for other in others:  # his other offers were withdrawn: those cases ask again
            self.dispatch(other)
        return case

    def _take(self, case: RescueCase, rescuer_id: int, now: datetime) -> RescueCase:
        """Assign the case; a rescuer already holding an active case is refused."""
        try:
            with self.context.conn.transaction():
                return self.context.change(
                    case,
                    state=CaseState.ACCEPTED.value,
                    rescuer_id=rescuer_id,
                    decided_at=now,
                    accepted_at=now,
                )
        except pg_errors.UniqueViolation:
            raise RescuerBusy(f"rescuer {rescuer_id} already holds an active case") from None

    def decline(
        self, case_id: int, rescuer_id: int, actor: str | None = None, reason: str = ""
    ) -> None:
        context = self.context
        actor = actor or f"rescuer:{rescuer_id}"
        with context.transaction():
            case = context.load(case_id)
            offer = self._offer(case_id, rescuer_id)
            if offer.state != "pending":
                raise OfferClosed(f"the offer is {offer.state}")
            now = context.clock()
            self._answer(offer, "declined", now)
            context.record(case, now, "declined", actor, rescuer_id=rescuer_id,
                           reason=reason[:200])  # fmt: skip
        self.dispatch(case_id)


def _check_open(case: RescueCase, offer: Offer, now: datetime) -> None:
    """Refuse an accept of a decided case, a closed or an expired offer."""
    if CaseState(case.state) not in UNDECIDED:
        raise OfferClosed(f"case {case.id} is already {case.state}")
    if offer.state != "pending":
        raise OfferClosed(f"the offer is {offer.state}")
    if offer.expires_at <= now:
        raise OfferClosed("the offer has expired")
