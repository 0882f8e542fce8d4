"""维保签到's pure rules: presence by code or position, the checklist, on time, and the
catalogues that carry the checklist's texts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from maintenance.checkin import PhonePosition, Proof, ScannedCode, check_items, on_time, presence
from maintenance.checkin_items import HALF_MONTHLY, checklist
from maintenance.errors import CheckinRefused, ChecklistIncomplete

LON, LAT = 113.33, 23.13
M_PER_DEG_LAT = 111_195.0  # haversine's metres per degree of latitude
CATALOGUES = Path(__file__).resolve().parents[3] / "api" / "static" / "i18n"


def north(metres: float) -> PhonePosition:
    return PhonePosition(LON, LAT + metres / M_PER_DEG_LAT)


@pytest.mark.parametrize("metres", [0.0, 12.5, 120.0, 199.0])
def test_a_position_within_the_radius_is_on_site(metres: float) -> None:
    found = presence(Proof(position=north(metres)), 1, LON, LAT, 200)
    assert found.method == "position"
    assert found.on_site is True
    assert found.distance_m == pytest.approx(metres, abs=0.2)


@pytest.mark.parametrize("metres", [201.0, 350.0, 5_000.0, 50_000.0])
def test_a_position_beyond_the_radius_is_refused(metres: float) -> None:
    with pytest.raises(CheckinRefused, match="m from the elevator, more than 200 m"):
        presence(Proof(position=north(metres)), 1, LON, LAT, 200)


def test_the_current_code_of_the_elevator_decides_whatever_the_position() -> None:
    code = ScannedCode("Sticker00001", 1, current=True)
    found = presence(Proof(position=north(5_000), code=code), 1, LON, LAT, 200)
    assert (found.method, found.on_site) == ("code", True)
    assert found.distance_m == pytest.approx(5_000, abs=1)
    with pytest.raises(CheckinRefused, match="another elevator"):
        presence(Proof(code=code), 2, LON, LAT, 200)
    with pytest.raises(CheckinRefused, match="replaced"):
        presence(Proof(code=ScannedCode("OldSticker01", 1, current=False)), 1, LON, LAT, 200)
    with pytest.raises(CheckinRefused, match="scan the elevator's code"):
        presence(Proof(), 1, LON, LAT, 200)


def test_every_mandatory_item_must_be_ticked() -> None:
    mandatory = [item.key for item in HALF_MONTHLY if item.mandatory]
    assert len(HALF_MONTHLY) == 31
    assert 20 < len(mandatory) < 31
    assert [item.key for item in check_items("half_monthly", set(mandatory))] == mandatory
    with pytest.raises(ChecklistIncomplete, match=r"not ticked: A1-03$") as refused:
        check_items("half_monthly", set(mandatory) - {"A1-03"})
    assert refused.value.missing == ["A1-03"]
    with pytest.raises(ChecklistIncomplete, match="unknown checklist items: X"):
        check_items("quarterly", {*mandatory, "X"})
    assert checklist("yearly") == HALF_MONTHLY  # each level includes the half-monthly items


def test_on_time_is_judged_on_the_city_calendar() -> None:
    due = date(2026, 3, 5)
    assert on_time(datetime(2026, 3, 5, 15, 59, tzinfo=UTC), due)  # 23:59 in Guangzhou
    assert not on_time(datetime(2026, 3, 5, 16, 0, tzinfo=UTC), due)  # 00:00 on the 6th


def test_the_catalogues_carry_every_item_in_both_languages() -> None:
    zh = json.loads((CATALOGUES / "zh-CN" / "technician.json").read_text("utf-8"))
    en = json.loads((CATALOGUES / "en" / "technician.json").read_text("utf-8"))
    assert set(zh) == set(en)
    for item in HALF_MONTHLY:
        assert zh[f"technician.item.{item.key}"] == item.name
        assert zh[f"technician.item.{item.key}.requirement"] == item.requirement
        assert en[f"technician.item.{item.key}"].isascii()
    for area in ("rescuer", "field"):
        zh_area = json.loads((CATALOGUES / "zh-CN" / f"{area}.json").read_text("utf-8"))
        en_area = json.loads((CATALOGUES / "en" / f"{area}.json").read_text("utf-8"))
        assert set(zh_area) == set(en_area), area
        assert all(key.startswith(area + ".") for key in zh_area)
