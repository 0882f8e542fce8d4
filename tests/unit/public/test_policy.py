"""The pure rules of the public pages: codes, status, deadlines, buckets, export."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.codes import MODE_INSPECTION, MODE_NORMAL, MODE_OUT_OF_SERVICE
from public.config import PublicSettings
from public.errors import InvalidReport
from public.model import DisclosureRow, PublicStatus, ReportKind
from public.policy import (
    EXPORT_FIELDS,
    RateLimiter,
    TokenBucket,
    answer_due,
    check_category,
    disclose,
    district_name,
    export_csv,
    export_record,
    new_code,
    page_url,
    public_status,
    valid_code,
)

TODAY = date(2026, 12, 1)
ROW = DisclosureRow(
    elevator_id=7,
    registration_code="4400000007",
    district="天河区",
    address="天河路 1 号",
    building_type="residential",
    user_unit="某物业",
    safety_officer_name="王伟",
    safety_officer_phone="13900000001",
    company_id=2,
    company_name="Company 2",
    company_phone="020-80000002",
    last_maintenance=date(2026, 11, 20),
    next_maintenance_due=date(2026, 12, 5),
    inspection_valid_until=date(2027, 6, 30),
    insurance_expiry=date(2027, 1, 1),
    grade="B",
    in_service=True,
    mode=MODE_NORMAL,
    rescue_active=False,
    maintenance_active=False,
)


def test_codes_are_random_url_safe_and_valid() -> None:
    codes = {new_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(valid_code(c) and len(c) == 12 for c in codes)
    assert not valid_code("abc")
    assert not valid_code("../../etc/passwd")
    assert page_url("https://lw.example/", "abcdEFGH1234") == "https://lw.example/e/abcdEFGH1234"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, PublicStatus.IN_SERVICE),
        ({"mode": None}, PublicStatus.IN_SERVICE),
        ({"mode": MODE_INSPECTION}, PublicStatus.MAINTENANCE),
        ({"maintenance_active": True}, PublicStatus.MAINTENANCE),
        ({"in_service": False, "maintenance_active": True}, PublicStatus.OUT_OF_SERVICE),
        ({"mode": MODE_OUT_OF_SERVICE}, PublicStatus.OUT_OF_SERVICE),
        ({"rescue_active": True, "in_service": False}, PublicStatus.RESCUE),
    ],
)
def test_public_status(changes: dict[str, Any], expected: PublicStatus) -> None:
    assert public_status(replace(ROW, **changes)) is expected


def test_disclosure_hides_internal_fields_and_derives_insurance() -> None:
    shown = disclose(ROW, TODAY)
    assert shown.insured
    assert shown.hotline == "96333"
    assert shown.grade == "B"
    assert not disclose(replace(ROW, insurance_expiry=date(2026, 11, 30)), TODAY).insured
    assert not disclose(replace(ROW, insurance_expiry=None), TODAY).insured
    for hidden in ("elevator_id", "company_id", "mode", "rescue_active", "insurance_expiry"):
        assert not hasattr(shown, hidden)
        assert hidden not in EXPORT_FIELDS


def test_categories_and_deadlines() -> None:
    assert check_category(ReportKind.COMPLAINT, "") == "dirty"
    assert check_category(ReportKind.FAULT, "door") == "door"
    with pytest.raises(InvalidReport):
        check_category(ReportKind.FAULT, "dirty")
    settings = PublicSettings()
    at = datetime(2026, 12, 1, tzinfo=UTC)
    assert answer_due(ReportKind.FAULT, at, settings) == at + timedelta(hours=24)
    assert answer_due(ReportKind.COMPLAINT, at, settings) == at + timedelta(hours=72)


def test_token_bucket_refills_over_time() -> None:
    bucket = TokenBucket(capacity=3, per_minute=3, tokens=3, updated=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(10.0)  # half a token
    assert bucket.take(20.0)  # one token after 20 s at 3 per minute
    assert not bucket.take(20.0)
    assert bucket.take(1000.0)
    assert bucket.take(1000.0)
    assert bucket.take(1000.0)
    assert not bucket.take(1000.0)  # capped at capacity


def test_rate_limiter_is_per_key_and_bounded() -> None:
    limiter = RateLimiter(per_minute=2, max_keys=100)
    assert [limiter.allow("a", 0.0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("b", 0.0)
    for i in range(500):
        limiter.allow(f"k{i}", 1.0)
    assert len(limiter) == 100


def test_export_record_and_csv() -> None:
    shown = disclose(ROW, TODAY)
    record = export_record(shown)
    assert record["last_maintenance"] == "2026-11-20"
    assert record["status"] == "in_service"
    text = export_csv([shown, shown])
    lines = text.splitlines()
    assert lines[0].split(",") == list(EXPORT_FIELDS)
    assert len(lines) == 3
    assert "天河路 1 号" in lines[1]


def test_district_names_in_chinese_or_english() -> None:
    assert district_name("天河区") == "Tianhe" == district_name("tianhe")
    assert district_name(None) is None
    with pytest.raises(InvalidReport, match="unknown district"):
        district_name("Atlantis")
