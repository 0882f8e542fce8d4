"""Interval policy: every eligibility rule, every interval boundary, due dates, reasons."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import numpy as np
import pytest

from maintenance.config import ScoreSettings
from maintenance.policy import (
    NO_DAY,
    PolicyInputs,
    Reason,
    decide,
    due_days,
    explain,
    from_day,
    levels_covered,
    to_day,
)

S = ScoreSettings()


def facts(n: int = 1, /, **overrides: Any) -> PolicyInputs:
    """An elevator meeting every condition; overrides are scalars or arrays."""
    base: dict[str, Any] = {
        "online": True,
        "online_rate": 1.0,
        "insurance_valid": True,
        "inspection_valid": True,
        "in_service": True,
        "company_licensed": True,
        "company_credit_grade": 0,
        "user_unit_known": True,
        "company_paperless": True,
        "company_on_time_rate": 0.99,
        "company_elevators": 1000,
    }
    base.update(overrides)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(PolicyInputs):
        v = np.asarray(base[f.name])
        if v.ndim == 0:
            v = np.full(n, v)
        out[f.name] = v
    out["online_rate"] = out["online_rate"].astype(np.float64)
    out["company_on_time_rate"] = out["company_on_time_rate"].astype(np.float64)
    out["company_credit_grade"] = out["company_credit_grade"].astype(np.int64)
    out["company_elevators"] = out["company_elevators"].astype(np.int64)
    return PolicyInputs(**out)


def one(x: PolicyInputs, grade: str = "A", s: ScoreSettings = S) -> tuple[bool, int, int]:
    d = decide(x, np.array(["ABCD".index(grade)], dtype=np.int64), s)
    return bool(d.eligible[0]), int(d.interval_days[0]), int(d.reasons[0])


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"online": False}, Reason.IOT_OFFLINE),
        ({"insurance_valid": False}, Reason.NO_INSURANCE),
        ({"inspection_valid": False}, Reason.INSPECTION_INVALID),
        ({"in_service": False}, Reason.OUT_OF_SERVICE),
        ({"company_licensed": False}, Reason.COMPANY_UNLICENSED),
        ({"company_credit_grade": 2}, Reason.COMPANY_CREDIT_C),
        ({"user_unit_known": False}, Reason.USER_UNIT_UNKNOWN),
    ],
)
def test_each_eligibility_rule_alone_makes_ineligible(
    override: dict[str, Any], reason: Reason
) -> None:
    eligible, interval, mask = one(facts(**override))
    assert not eligible
    assert interval == S.statutory_interval_days == 15
    assert mask & reason
    assert mask & Reason.STATUTORY
    assert not mask & Reason.ELIGIBLE


def test_credit_b_is_eligible() -> None:
    assert one(facts(company_credit_grade=1))[0]


def test_all_conditions_met_is_eligible() -> None:
    eligible, _, mask = one(facts())
    assert eligible
    assert mask & Reason.ELIGIBLE
    assert not mask & Reason.STATUTORY


def test_guangzhou_company_rules_off_by_default() -> None:
    x = facts(company_paperless=False, company_on_time_rate=0.5, company_elevators=10)
    assert one(x)[0]


@pytest.mark.parametrize(
    ("override", "reason", "eligible"),
    [
        ({"company_paperless": False}, Reason.GZ_NOT_PAPERLESS, False),
        ({"company_on_time_rate": 0.9499}, Reason.GZ_ON_TIME_LOW, False),
        ({"company_on_time_rate": 0.95}, Reason.GZ_ON_TIME_LOW, True),
        ({"company_on_time_rate": np.nan}, Reason.GZ_ON_TIME_LOW, False),
        ({"company_elevators": 399}, Reason.GZ_FLEET_SMALL, False),
        ({"company_elevators": 400}, Reason.GZ_FLEET_SMALL, True),
    ],
)
def test_guangzhou_company_rules_when_on(
    override: dict[str, Any], reason: Reason, eligible: bool
) -> None:
    s = ScoreSettings(guangzhou_company_rules=True)
    got, interval, mask = one(facts(**override), s=s)
    assert got is eligible
    assert bool(mask & reason) is (not eligible)
    if not eligible:
        assert interval == 15


@pytest.mark.parametrize(("grade", "days"), [("A", 90), ("B", 60), ("C", 30), ("D", 15)])
def test_interval_by_grade_with_normal_iot(grade: str, days: int) -> None:
    eligible, interval, mask = one(facts(), grade)
    assert eligible
    assert interval == days
    assert mask & Reason.IOT_NORMAL
    assert not mask & Reason.CAPPED


@pytest.mark.parametrize(("grade", "days"), [("A", 30), ("B", 30), ("C", 30), ("D", 15)])
def test_cap_without_normal_data_exchange(grade: str, days: int) -> None:
    eligible, interval, mask = one(facts(online_rate=0.9), grade)
    assert eligible
    assert interval == days
    assert not mask & Reason.IOT_NORMAL
    assert bool(mask & Reason.CAPPED) is (grade in "AB")


@pytest.mark.parametrize(("rate", "cap"), [(0.95, 90), (0.9499, 30), (np.nan, 30)])
def test_online_rate_boundary_for_the_iot_cap(rate: float, cap: int) -> None:
    assert one(facts(online_rate=rate), "A")[1] == cap


def test_caps_are_configurable() -> None:
    s = ScoreSettings(cap_days=20, cap_days_iot=45, grade_interval_days=(120, 60, 30, 15))
    assert one(facts(), "A", s)[1] == 45
    assert one(facts(online_rate=0.5), "A", s)[1] == 20
    assert one(facts(online_rate=0.5), "D", s)[1] == 15


def test_due_days_regular_never_done_and_urgent() -> None:
    as_of = to_day(date(2024, 6, 1))
    last = np.array(
        [to_day(date(2024, 5, 1)), NO_DAY, to_day(date(2024, 5, 1)), to_day(date(2024, 5, 1))]
    )
    interval = np.array([90, 30, 90, 90])
    event = np.array([NO_DAY, NO_DAY, to_day(date(2024, 5, 20)), to_day(date(2024, 4, 20))])
    due, urgent = due_days(last, interval, as_of, event, 3)
    assert [from_day(d) for d in due] == [
        date(2024, 7, 30),  # regular: last + 90
        date(2024, 6, 1),  # never maintained: due now
        date(2024, 5, 23),  # entrapment after the last visit: within 3 days
        date(2024, 7, 30),  # event before the last visit: already handled
    ]
    assert list(urgent) == [False, False, True, False]


def test_urgent_visit_never_later_than_regular_due() -> None:
    last = np.array([to_day(date(2024, 5, 1))])
    due, urgent = due_days(last, np.array([15]), 0, np.array([to_day(date(2024, 5, 15))]), 3)
    assert from_day(due[0]) == date(2024, 5, 16)
    assert urgent[0]


def test_each_level_includes_those_below() -> None:
    assert levels_covered("half_monthly") == ("half_monthly",)
    assert levels_covered("yearly") == ("half_monthly", "quarterly", "half_yearly", "yearly")
    with pytest.raises(ValueError):
        levels_covered("repair")


def test_explain_lists_codes_and_texts() -> None:
    _, _, mask = one(facts(online=False, insurance_valid=False))
    reasons = explain(mask, "A", S)
    codes = [r["code"] for r in reasons]
    assert codes == ["iot_offline", "no_insurance", "statutory"]
    assert "15 days" in reasons[-1]["text"]
    _, _, mask = one(facts(online_rate=0.5), "A")
    texts = " ".join(r["text"] for r in explain(mask, "A", S))
    assert "grade A interval 90 days" in texts
    assert "capped at 30 days" in texts
    urgent = explain(int(Reason.URGENT_VISIT | Reason.ELIGIBLE), "B", S)
    assert urgent[-1]["code"] == "urgent_visit"
    assert "3 days" in urgent[-1]["text"]


def test_settings_validation() -> None:
    with pytest.raises(ValueError):
        ScoreSettings(weights=(0, 0, 0, 0, 0))
    with pytest.raises(ValueError):
        ScoreSettings(grade_bands=(50.0, 70.0, 55.0))
    with pytest.raises(ValueError):
        ScoreSettings(grade_interval_days=(90, 60, 0, 15))


def test_a_repair_visit_after_the_event_ends_the_urgency() -> None:
    last = np.array([to_day(date(2024, 5, 1))])
    event = np.array([to_day(date(2024, 5, 10))])
    repair = np.array([to_day(date(2024, 5, 11))])
    due, urgent = due_days(last, np.array([60]), 0, event, 3, last_visit=repair)
    assert not urgent[0]
    assert from_day(due[0]) == date(2024, 6, 30)
