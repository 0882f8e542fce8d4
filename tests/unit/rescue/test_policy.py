"""The pure dispatch policy: ETA, ranking, rounds, tiers, SLA; the case lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from rescue import policy
from rescue.config import DispatchSettings
from rescue.errors import InvalidTransition
from rescue.lifecycle import CaseState, check_transition
from rescue.policy import Action, Candidate, decide, rank

NOON = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 Beijing
PEAK = datetime(2026, 3, 4, 0, 30, tzinfo=UTC)  # 08:30 Beijing
LON, LAT = 113.33, 23.13
KM = 1 / 111.32


def cand(rid: int, km: float, company: int | None = 1) -> Candidate:
    return Candidate(rid, company, None if company else 1, LON, LAT + km * KM)


def test_eta_is_slower_at_peak_and_grows_with_distance() -> None:
    s = DispatchSettings()
    assert policy.eta_s(s, 5000, PEAK) > policy.eta_s(s, 5000, NOON)
    assert policy.eta_s(s, 0, NOON) == s.setup_s
    expected = s.setup_s + 5000 * s.road_factor / (s.speed_kmh_day / 3.6)
    assert policy.eta_s(s, 5000, NOON) == pytest.approx(expected)


def test_shifts_across_midnight() -> None:
    assert policy.on_shift(time(20), time(8), time(2))
    assert not policy.on_shift(time(20), time(8), time(12))
    assert policy.on_shift(time(8), time(20), time(12))
    assert policy.on_shift(time(0), time(0), time(3))


def test_rank_nearest_first() -> None:
    ranked = rank(DispatchSettings(), [cand(1, 3), cand(2, 1), cand(3, 2)], LON, LAT, NOON)
    assert [r.rescuer_id for r in ranked] == [2, 3, 1]


def _decide(s: DispatchSettings, cands: list[Candidate], **kw: object) -> policy.Decision:
    args: dict[str, object] = {"case_tier": 1, "elapsed_s": 0.0, "pending": 0,
                               "company_id": 1, "already_offered": set()}  # fmt: skip
    args.update(kw)
    return decide(s, ranked=rank(s, cands, LON, LAT, NOON), **args)  # type: ignore[arg-type]


def test_tier_one_offers_own_company_nearest_k() -> None:
    s = DispatchSettings(offer_size=2, tier1_slack_min=60)
    d = _decide(s, [cand(1, 1), cand(2, 2), cand(3, 3), cand(9, 0.2, company=2)])
    assert d.action is Action.OFFER
    assert d.tier == 1
    assert [r.rescuer_id for r in d.offers] == [1, 2]


def test_own_company_loses_priority_when_much_farther() -> None:
    s = DispatchSettings(tier1_slack_min=5)
    d = _decide(s, [cand(1, 8), cand(9, 0.3, company=2)])
    assert d.action is Action.OFFER
    assert d.tier == 2
    assert d.offers[0].rescuer_id == 9


def test_round_keeps_offers_close_to_the_best_eta() -> None:
    s = DispatchSettings(offer_size=3, offer_eta_slack_min=4, tiers=(1,))
    d = _decide(s, [cand(1, 1), cand(2, 1.5), cand(3, 20)])
    assert [r.rescuer_id for r in d.offers] == [1, 2]


def test_wait_while_offers_are_open_then_next_round() -> None:
    s = DispatchSettings(offer_size=1, tier1_slack_min=60)
    cands = [cand(1, 1), cand(2, 2)]
    assert _decide(s, cands, pending=1, already_offered={1}).action is Action.WAIT
    d = _decide(s, cands, pending=0, already_offered={1})
    assert d.action is Action.OFFER
    assert d.offers[0].rescuer_id == 2


def test_tier_window_escalates_even_with_offers_open() -> None:
    s = DispatchSettings(tier1_slack_min=60)
    d = _decide(s, [cand(1, 1), cand(9, 0.5, company=2)], pending=1, already_offered={1},
                elapsed_s=s.tier1_window_s + 1)  # fmt: skip
    assert d.action is Action.OFFER
    assert d.tier == 2


def test_fire_service_at_the_end_of_the_windows_and_when_exhausted() -> None:
    s = DispatchSettings()
    late = _decide(s, [cand(1, 1)], elapsed_s=s.tier1_window_s + s.tier2_window_s)
    assert late.action is Action.FIRE_SERVICE
    assert _decide(s, []).action is Action.FIRE_SERVICE
    assert _decide(DispatchSettings(tiers=(1,)), []).action is Action.EXHAUSTED


def test_settings_refuse_windows_beyond_the_deadline() -> None:
    with pytest.raises(ValueError):
        DispatchSettings(tier1_window_s=200, tier2_window_s=200)
    with pytest.raises(ValueError):
        DispatchSettings(tiers=(2, 1))


def test_sla_by_district() -> None:
    s = DispatchSettings(district_arrival_min={"Nansha": 45})
    assert policy.arrival_minutes(s, "Tianhe") == 30
    assert policy.arrival_minutes(s, "Conghua") == 60
    assert policy.arrival_minutes(s, "Nansha") == 45
    assert policy.arrival_minutes(s, "Tianhe", {"Tianhe": False}) == 60


def test_lifecycle() -> None:
    assert check_transition(1, "on_site", CaseState.RELEASED) is CaseState.ON_SITE
    with pytest.raises(InvalidTransition, match="case 1 is closed"):
        check_transition(1, "closed", CaseState.CANCELLED)
    with pytest.raises(InvalidTransition):
        check_transition(1, "reported", CaseState.ON_SITE)
