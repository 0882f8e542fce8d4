"""The dispatch engine on real PostgreSQL: cases, tiers, timeouts, concurrency, SLA."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from alarms.repository import raise_alarm
from domain.alarms import AlarmType
from rescue.config import DispatchSettings
from rescue.errors import InvalidCall, InvalidTransition, OfferClosed, RescuerBusy
from rescue.model import HotlineCall
from tests.fixtures.dispatch import (
    NOON,
    FakeClock,
    Recorder,
    case_state,
    engine,
    offers,
    steps,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def db(dispatch_db: str) -> str:
    return dispatch_db  # the seeded fleet, its rescue tables reset (tests/fixtures/dispatch.py)


def _alarm(url: str, elevator_id: int = 1, kind: AlarmType = AlarmType.ENTRAPMENT) -> int:
    with psycopg.connect(url) as conn:
        return raise_alarm(conn, elevator_id, kind, NOON, "detector", {"where": "at_landing"}).id


def test_alarm_opens_case_and_offers_own_company_nearest_first(db: str) -> None:
    clock, sink = FakeClock(), Recorder()
    eng = engine(db, clock, sink=sink)
    ref = eng.open_case_for_alarm(_alarm(db))
    assert ref.created
    assert offers(eng.conn, ref.case_id) == {11: "pending", 12: "pending"}
    assert case_state(eng.conn, ref.case_id) == ("offered", 1, False)
    assert steps(eng.conn, ref.case_id) == ["reported", "offered"]
    topics = {t for t, _ in sink.messages}
    assert "liftwatch/notify/v1/rescuer-11/offer" in topics
    assert "liftwatch/notify/v1/company-1/case" in topics
    # The same alarm again is idempotent: no second case, no second offer round.
    alarm_id = eng.conn.execute("SELECT alarm_id FROM rescue_cases").fetchone()
    assert alarm_id is not None
    again = eng.open_case_for_alarm(int(alarm_id[0]))
    assert again == type(ref)(ref.case_id, False)
    assert steps(eng.conn, ref.case_id) == ["reported", "offered"]


def test_two_alarms_for_one_elevator_make_one_case(db: str) -> None:
    eng = engine(db, FakeClock())
    a = eng.open_case_for_alarm(_alarm(db, kind=AlarmType.ENTRAPMENT))
    b = eng.open_case_for_alarm(_alarm(db, kind=AlarmType.ALARM_BUTTON))
    assert a.created
    assert not b.created
    assert a.case_id == b.case_id
    assert steps(eng.conn, a.case_id)[-1] == "joined"
    call = eng.open_case_from_call(HotlineCall(elevator_code="44010100001", caller_phone="139"))
    assert call.case_id == a.case_id
    assert not call.created


def test_concurrent_alarms_race_to_one_case(db: str) -> None:
    alarms = [_alarm(db, kind=AlarmType.ENTRAPMENT), _alarm(db, kind=AlarmType.ALARM_BUTTON)]
    engines = [engine(db, FakeClock()) for _ in alarms]
    barrier = threading.Barrier(len(alarms))
    refs: list[Any] = []

    def run(i: int) -> None:
        barrier.wait()
        refs.append(engines[i].open_case_for_alarm(alarms[i]))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(alarms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.case_id for r in refs}) == 1
    assert sorted(r.created for r in refs) == [False, True]
    n = engines[0].conn.execute("SELECT count(*) FROM rescue_cases").fetchone()
    assert n is not None
    assert n[0] == 1


def test_two_rescuers_accepting_at_once_exactly_one_wins(db: str) -> None:
    clock = FakeClock()
    ref = engine(db, clock).open_case_for_alarm(_alarm(db))
    engines = {rid: engine(db, clock) for rid in (11, 12)}
    barrier = threading.Barrier(2)
    won: list[int] = []
    lost: list[str] = []

    def run(rid: int) -> None:
        barrier.wait()
        try:
            engines[rid].accept(ref.case_id, rid)
            won.append(rid)
        except OfferClosed as exc:
            lost.append(str(exc))

    threads = [threading.Thread(target=run, args=(rid,)) for rid in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert len(lost) == 1
    conn = engines[11].conn
    row = conn.execute("SELECT rescuer_id, state FROM rescue_cases").fetchone()
    assert row == (won[0], "accepted")
    loser = 12 if won[0] == 11 else 11
    assert offers(conn, ref.case_id) == {won[0]: "accepted", loser: "withdrawn"}


def test_rescuer_holds_one_active_case(db: str) -> None:
    clock = FakeClock()
    eng = engine(db, clock)
    first = eng.open_case_for_alarm(_alarm(db, 1))
    eng.accept(first.case_id, 11)
    second = eng.open_case_for_alarm(_alarm(db, 2))
    assert 11 not in offers(eng.conn, second.case_id)  # busy rescuers get no offers
    # Even if an offer slipped through, the database refuses a second active case.
    eng.conn.execute(
        "INSERT INTO dispatch_offers (case_id, rescuer_id, tier, eta_s, distance_m, offered_at,"
        " expires_at) VALUES (%s, 11, 1, 60, 1000, %s, %s)",
        (second.case_id, NOON, NOON + timedelta(seconds=30)),
    )
    with pytest.raises(RescuerBusy):
        eng.accept(second.case_id, 11)
    assert case_state(eng.conn, second.case_id)[0] == "offered"


def test_offer_timeout_moves_on_then_tier_two(db: str) -> None:
    clock = FakeClock()
    eng = engine(
        db, clock, DispatchSettings(offer_size=2, max_offer_attempts=1, tier1_slack_min=30)
    )
    ref = eng.open_case_for_alarm(_alarm(db))
    clock.advance(41)
    eng.tick()
    # 11 and 12 expired; 13 is the last own rescuer within reach (14 is ~30 km away).
    assert offers(eng.conn, ref.case_id) == {11: "expired", 12: "expired", 13: "pending"}
    eng.decline(ref.case_id, 13)
    # Tier 1 exhausted: tier 2 offers the nearest of anyone, the station's rescuer included.
    assert case_state(eng.conn, ref.case_id)[:2] == ("offered", 2)
    current = offers(eng.conn, ref.case_id)
    assert current[21] == "pending"
    assert current[31] == "pending"
    assert 14 not in current
    assert "escalated" in steps(eng.conn, ref.case_id)
    eng.accept(ref.case_id, 31)
    assert case_state(eng.conn, ref.case_id) == ("accepted", 2, False)


def test_unanswered_offer_rings_once_more(db: str) -> None:
    clock = FakeClock()
    eng = engine(db, clock, DispatchSettings(offer_size=2, tier1_slack_min=30))
    ref = eng.open_case_for_alarm(_alarm(db))
    clock.advance(41)
    eng.tick()
    assert offers(eng.conn, ref.case_id) == {11: "pending", 12: "pending"}
    clock.advance(41)
    eng.tick()
    assert offers(eng.conn, ref.case_id) == {11: "expired", 12: "expired", 13: "pending"}
    row = eng.conn.execute("SELECT max(attempts) FROM dispatch_offers").fetchone()
    assert row == (2,)


def test_all_tiers_exhausted_hands_off_to_119(db: str) -> None:
    clock = FakeClock()
    eng = engine(
        db, clock, DispatchSettings(offer_size=10, offer_eta_slack_min=120, tier1_slack_min=120)
    )
    ref = eng.open_case_for_alarm(_alarm(db))
    declined: set[int] = set()
    while pending := [r for r, st in offers(eng.conn, ref.case_id).items() if st == "pending"]:
        for rid in pending:
            eng.decline(ref.case_id, rid)
            declined.add(rid)
    assert declined == {11, 12, 13, 14, 21, 31}  # everyone was asked before 119
    state, tier, fire = case_state(eng.conn, ref.case_id)
    assert (state, tier, fire) == ("accepted", 3, True)
    assert steps(eng.conn, ref.case_id)[-1] == "fire_service"
    row = eng.conn.execute("SELECT decided_at - reported_at FROM rescue_cases").fetchone()
    assert row is not None
    assert row[0].total_seconds() < 300


def test_unanswered_chain_goes_to_119_within_the_decision_deadline(db: str) -> None:
    clock = FakeClock()
    eng = engine(db, clock)
    ref = eng.open_case_for_alarm(_alarm(db))
    for _ in range(300):
        clock.advance(1)
        eng.tick()
        if case_state(eng.conn, ref.case_id)[2]:
            break
    assert case_state(eng.conn, ref.case_id) == ("accepted", 3, True)
    row = eng.conn.execute("SELECT decided_at - reported_at FROM rescue_cases").fetchone()
    assert row is not None
    assert row[0].total_seconds() <= 300


def test_sla_breach_escalates_and_insurance_flag(db: str) -> None:
    clock = FakeClock()
    eng = engine(db, clock)
    ref = eng.open_case_for_alarm(_alarm(db))
    eng.accept(ref.case_id, 11)
    clock.advance(30 * 60 + 1)
    assert eng.tick().sla_breaches == 1
    assert case_state(eng.conn, ref.case_id) == ("accepted", 2, False)
    kinds = eng.conn.execute("SELECT kind FROM rescue_escalations").fetchall()
    assert kinds == [("sla_breach",)]
    assert eng.tick().sla_breaches == 0  # once
    clock.advance(10 * 60)
    assert eng.tick().insurance_flags == 1
    row = eng.conn.execute("SELECT insurance_flag FROM rescue_cases").fetchone()
    assert row == (True,)


def test_outer_district_has_sixty_minutes(db: str) -> None:
    eng = engine(db, FakeClock())
    ref = eng.open_case_for_alarm(_alarm(db, 2))  # elevator 2 is in Conghua
    row = eng.conn.execute(
        "SELECT arrival_due_at - reported_at FROM rescue_cases WHERE id = %s", (ref.case_id,)
    ).fetchone()
    assert row is not None
    assert row[0].total_seconds() == 3600


def test_full_lifecycle_and_refused_transitions(db: str) -> None:
    clock = FakeClock()
    eng = engine(db, clock)
    ref = eng.open_case_from_call(HotlineCall(address="1 Tianhe", people_trapped=2))
    assert ref.created
    with pytest.raises(InvalidTransition):
        eng.release(ref.case_id, None, "desk")
    eng.accept(ref.case_id, 11)
    clock.advance(60)
    assert eng.report_position(11, 113.331, 23.135) == ref.case_id
    clock.advance(300)
    eng.arrive(ref.case_id, 11, "rescuer:11")
    clock.advance(400)
    eng.release(ref.case_id, 11, "rescuer:11", people=2)
    eng.close(ref.case_id, "desk")
    assert steps(eng.conn, ref.case_id) == [
        "reported",
        "offered",
        "accepted",
        "en_route",
        "on_site",
        "released",
        "closed",
    ]
    with pytest.raises(InvalidTransition):
        eng.cancel(ref.case_id, "desk")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        eng.conn.execute("DELETE FROM case_events")


def test_hotline_call_needs_one_elevator(db: str) -> None:
    eng = engine(db, FakeClock())
    with pytest.raises(InvalidCall):
        eng.open_case_from_call(HotlineCall(address="Road"))  # matches both elevators
    with pytest.raises(InvalidCall):
        eng.open_case_from_call(HotlineCall())


def test_false_alarm_withdraws_offers(db: str) -> None:
    eng = engine(db, FakeClock())
    ref = eng.open_case_for_alarm(_alarm(db))
    eng.false_alarm(ref.case_id, "desk", "passenger walked out")
    assert set(offers(eng.conn, ref.case_id).values()) == {"withdrawn"}
    with pytest.raises(OfferClosed):
        eng.accept(ref.case_id, 11)


def test_next_due_is_the_earliest_deadline(db: str) -> None:
    clock = FakeClock()
    eng = engine(db, clock)
    assert eng.next_due() is None
    ref = eng.open_case_for_alarm(_alarm(db))
    # Offers out: they expire first (before the tier 1 window, the SLA and insurance).
    assert eng.next_due() == NOON + timedelta(seconds=eng.settings.offer_timeout_s)
    eng.accept(ref.case_id, 11)
    # Decided, no offer open: the arrival deadline (Tianhe, urban: 30 minutes).
    assert eng.next_due() == NOON + timedelta(minutes=30)
    clock.advance(31 * 60)
    assert eng.tick().sla_breaches == 1
    # Breach escalated: what is left is the insurance limit of the trapped passengers.
    assert eng.next_due() == NOON + timedelta(minutes=eng.settings.insurance_trapped_min)
