"""The API's case, offer and board models are projections of the one record each."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from api.routers.rescue_models import BoardCase, Case, CaseDetail, OfferView
from rescue.model import BOARD_FIELDS, CASE_FIELDS, Offer, RescueCase, TimelineEntry

AT = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)


def _case() -> RescueCase:
    values: dict[str, object] = {f.name: None for f in fields(RescueCase)}
    values.update(
        id=7, elevator_id=1, elevator_code="44010100001", district="Tianhe", address="1 Road",
        company_id=1, source="hotline", state="offered", tier=1, people_trapped=2,
        caller_phone="139", trapped_since=AT, reported_at=AT, insurance_flag=False,
        fire_service=False, lon=113.33, lat=23.13,
    )  # fmt: skip
    return RescueCase(**values)  # type: ignore[arg-type]  # built from the field list


def test_case_json_has_the_api_fields_in_order() -> None:
    shown = Case.model_validate(_case()).model_dump(mode="json")
    assert list(shown) == list(CASE_FIELDS)
    assert shown["elevator_code"] == "44010100001"
    assert shown["reported_at"].startswith("2026")
    assert "caller_phone" not in shown
    assert "lon" not in shown


def test_detail_and_board_add_timeline_and_offers() -> None:
    case = _case()
    entry = TimelineEntry(case_id=7, at=AT, step="reported", actor="desk", detail={"a": 1})
    offer = Offer(
        id=1, case_id=7, rescuer_id=11, tier=1, round_number=1, attempts=1, eta_s=300.0,
        distance_m=1000.0, offered_at=AT, expires_at=AT, state="pending", answered_at=None,
    )  # fmt: skip
    fields_of_case = {name: getattr(case, name) for name in (*CASE_FIELDS, "caller_phone")}
    detail = CaseDetail.model_validate({**fields_of_case, "timeline": [entry], "offers": [offer]})
    shown = detail.model_dump(mode="json")
    assert list(shown) == [*CASE_FIELDS, "caller_phone", "timeline", "offers"]
    assert shown["timeline"] == [
        {"at": "2026-03-04T04:00:00Z", "step": "reported", "actor": "desk", "detail": {"a": 1}}
    ]
    assert list(shown["offers"][0]) == list(OfferView.model_fields)
    assert "round_number" not in shown["offers"][0]
    board_fields = {name: getattr(case, name) for name in BOARD_FIELDS}
    board = BoardCase.model_validate({**board_fields, "timeline": [], "offers": None})
    assert list(board.model_dump()) == [*BOARD_FIELDS, "timeline", "offers"]
