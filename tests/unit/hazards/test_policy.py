"""The pure rules of hazards and user units: the life cycle, who takes which step,
grading, deadlines, escalation levels, evidence by content, check records, completion."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from hazards.config import HazardSettings
from hazards.errors import IllegalStep, InvalidEvidence, NotYourStep
from hazards.evidence import DiskEvidenceStore
from hazards.model import Action, Grade, Party, Rule, Source, State
from hazards.policy import (
    TRANSITIONS,
    check_evidence,
    check_may,
    deadline,
    escalation_level,
    grade_of,
    may_report,
    next_state,
)
from units.errors import InvalidCheck
from units.model import CheckCounts, CheckKind, NewCheck
from units.policy import check_record, completion, period_start

S = HazardSettings()
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_happy_path_and_the_send_back_loop() -> None:
    state = State.REPORTED
    for action in (Action.ASSIGN, Action.START, Action.REMEDIATE, Action.SEND_BACK,
                   Action.REMEDIATE, Action.VERIFY, Action.CLOSE):  # fmt: skip
        state = next_state(state, action)
    assert state is State.CLOSED


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", [a for a in Action if a not in (Action.REPORT, Action.ESCALATE)])
def test_every_step_outside_the_table_is_refused(state: State, action: Action) -> None:
    keeps = action in (Action.REGRADE, Action.EVIDENCE, Action.OUT_OF_SERVICE,
                       Action.RETURN_TO_SERVICE)  # fmt: skip
    if (state, action) in TRANSITIONS or (keeps and state is not State.CLOSED):
        next_state(state, action)
    else:
        with pytest.raises(IllegalStep):
            next_state(state, action)


def test_roles_the_supervisor_verifies_the_party_remediates() -> None:
    check_may(Action.VERIFY, "supervisor", Party.COMPANY)
    check_may(Action.REMEDIATE, "company", Party.COMPANY)
    check_may(Action.REMEDIATE, "user_unit", Party.USER_UNIT)
    check_may(Action.EVIDENCE, "supervisor", Party.USER_UNIT)
    for role, action, party in (
        ("company", Action.VERIFY, Party.COMPANY),
        ("company", Action.REMEDIATE, Party.USER_UNIT),
        ("user_unit", Action.START, Party.COMPANY),
        ("desk", Action.CLOSE, Party.COMPANY),
        ("supervisor", Action.REMEDIATE, Party.COMPANY),
    ):
        with pytest.raises(NotYourStep):
            check_may(action, role, party)
    with pytest.raises(NotYourStep):
        may_report("company", Source.SPOT_CHECK)
    with pytest.raises(NotYourStep):
        may_report("supervisor", Source.AUTOMATIC)


def test_grades_and_deadlines_follow_the_settings() -> None:
    assert grade_of("brake", None, S) is Grade.SERIOUS
    assert grade_of("door", None, S) is Grade.GENERAL
    assert grade_of("inspection", Rule.INSPECTION_EXPIRED, S) is Grade.SERIOUS
    assert grade_of("insurance", Rule.INSURANCE_LAPSED, S) is Grade.GENERAL
    custom = HazardSettings(serious_categories=("door",), serious_days=3)
    assert grade_of("door", None, custom) is Grade.SERIOUS
    assert deadline(Grade.SERIOUS, T0, custom) == T0 + timedelta(days=3)
    assert deadline(Grade.GENERAL, T0, S) == T0 + timedelta(days=30)


def test_escalation_levels_at_the_deadline_and_twice_it() -> None:
    due = T0 + timedelta(days=7)
    assert escalation_level(T0, due, due) == 0
    assert escalation_level(T0, due, due + timedelta(seconds=1)) == 1
    assert escalation_level(T0, due, T0 + timedelta(days=14)) == 1
    assert escalation_level(T0, due, T0 + timedelta(days=14, seconds=1)) == 2


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 20
PDF = b"%PDF-1.7\n" + b"\0" * 20
WEBP = b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 10


def test_evidence_is_judged_by_its_content() -> None:
    assert check_evidence("a.png", PNG) == ("image/png", ".png")
    assert check_evidence("a.JPEG", JPEG) == ("image/jpeg", ".jpg")
    assert check_evidence("report.pdf", PDF) == ("application/pdf", ".pdf")
    assert check_evidence("x.webp", WEBP) == ("image/webp", ".webp")
    assert check_evidence("no-extension", PNG)[0] == "image/png"
    for name, data in (("a.png", b""), ("a.jpg", b"<html>"), ("a.exe", PNG), ("a.jpg", PNG),
                       ("a.png", b"GIF89a" + b"\0" * 10)):  # fmt: skip
        with pytest.raises(InvalidEvidence):
            check_evidence(name, data)


def test_disk_store_round_trip_and_no_escape(tmp_path: Path) -> None:
    store = DiskEvidenceStore(tmp_path)
    store.put("7/abc.png", PNG, "image/png")
    assert store.get("7/abc.png") == PNG
    assert store.exists("7/abc.png")
    with pytest.raises(ValueError, match="escapes"):
        store.put("../outside.png", PNG, "image/png")


def test_check_records_fit_their_checklist() -> None:
    items = [{"key": "run"}, {"key": "door"}]
    today = date(2026, 12, 1)
    new = NewCheck(CheckKind.DAILY, today, {"run": True, "door": False}, elevator_id=3)
    assert check_record(new, "elevator", items, today) == 1
    for bad in (
        NewCheck(CheckKind.DAILY, today, {"run": True}, elevator_id=3),
        NewCheck(CheckKind.DAILY, today, {"run": True, "door": True}),
        NewCheck(CheckKind.DAILY, today + timedelta(days=1), {"run": True, "door": True}, 3),
        NewCheck(CheckKind.MONTHLY, today, {"run": True, "door": True}, minutes="短"),
    ):
        with pytest.raises(InvalidCheck):
            check_record(bad, "elevator", items, today)
    assert period_start(CheckKind.WEEKLY, date(2026, 12, 3)) == date(2026, 11, 30)
    assert period_start(CheckKind.MONTHLY, date(2026, 12, 3)) == date(2026, 12, 1)


def test_completion_weighs_daily_weekly_monthly() -> None:
    full = completion(CheckCounts(1, 2, 2 * 84, 12, 3, True, True), 84)
    assert full.overall == pytest.approx(1.0)
    half = completion(CheckCounts(1, 2, 84, 6, 1, True, None), 84)
    assert half.overall == pytest.approx(0.5 * 0.5 + 0.3 * 0.5 + 0.2 / 3)
    never = completion(CheckCounts(1, 2, 0, 0, 0, False, None), 84)
    assert math.isnan(never.overall)
