"""Server-side messages: language negotiation, translate() with Babel formatting, API
error details and validation messages, rescue notification texts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from alarms.errors import AlarmNotFound
from domain.errors import ConflictError, LiftwatchError
from i18n import (
    DEFAULT_LANG,
    case_text,
    error_message,
    format_value,
    negotiate,
    offer_text,
    translate,
    validation_errors,
)
from public.errors import UnknownCode


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=0.5, zh-TW;q=0.8", "zh-CN"),
        ("fr-FR, de;q=0.9", "zh-CN"),
        ("fr, en;q=0.3", "en"),
        ("zh;q=0, en;q=0.1", "en"),
        ("en;q=abc", "zh-CN"),
        ("x" * 5000, "zh-CN"),
    ],
)
def test_accept_language_picks_a_supported_language(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


def test_the_users_own_setting_wins_over_the_header() -> None:
    assert negotiate("zh-CN", preferred="en") == "en"
    assert negotiate("en", preferred="zh") == "zh-CN"
    assert negotiate("en", preferred="fr") == "en"


def test_translate_fills_placeholders_with_shanghai_times_and_grouped_numbers() -> None:
    at = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 09:30 in Guangzhou
    text = translate("notify.case.reported", "zh-CN", id=12345, elevator=7, time=at)
    assert text == "【96333】电梯 7 困人求救，工单 12,345 已受理（2026-12-01 09:30）"
    text = translate("notify.case.reported", "en", id=5, elevator=7, time=at)
    assert text == "[96333] Entrapment at elevator 7: case 5 opened (2026-12-01 09:30)"
    late = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)  # 00:05 the next day, 24-hour clock
    assert "2026-12-02 00:05" in translate("notify.case.closed", "en", id=1, time=late)
    assert translate("errors.busy", "fr") == translate("errors.busy", DEFAULT_LANG)
    assert translate("no.such.key", "en") == "no.such.key"
    assert "{time}" in translate("notify.case.closed", "en", id=1)  # unfilled stays visible
    assert format_value(date(2026, 12, 1), "en") == "2026-12-01"
    assert format_value(1234.5, "en") == "1,234.5"
    assert format_value(datetime(2026, 12, 1, 1, 30), "zh-CN") == "2026-12-01 09:30"  # naive: UTC


def test_error_details_in_the_users_language() -> None:
    exc = AlarmNotFound(42)
    assert error_message(exc, "zh-CN") == "未找到报警 42"
    assert error_message(exc, "en") == "alarm 42 not found"
    assert str(exc) == "alarm 42 not found"  # the English text, for logs
    assert error_message(UnknownCode(), "zh-CN") == "未找到该电梯"
    assert error_message(UnknownCode(), "en") == "unknown elevator code"

    class Unlisted(ConflictError):
        pass

    assert error_message(Unlisted("it moved"), "zh-CN") == "与当前状态冲突（it moved）"
    assert error_message(LiftwatchError("a bug"), "zh-CN") == "a bug"


def test_validation_messages_keep_fastapis_shape() -> None:
    errors: list[dict[str, Any]] = [
        {"type": "string_too_long", "loc": ["body", "address"], "msg": "String should...",
         "input": "x" * 300, "ctx": {"max_length": 200}},
        {"type": "missing", "loc": ["query", "bbox"], "msg": "Field required", "input": None},
        {"type": "value_error", "loc": ["body"], "msg": "Value error, bad", "input": 1,
         "ctx": {"error": ValueError("bad")}},
        {"type": "something_new", "loc": ["body"], "msg": "Original", "input": 1},
    ]  # fmt: skip
    zh = validation_errors(errors, "zh-CN")
    assert [e["msg"] for e in zh] == [
        "最多 200 个字符",
        "必填",
        "取值无效（Value error, bad）",
        "Original",
    ]
    assert zh[0]["loc"] == ["body", "address"]
    assert zh[0]["type"] == "string_too_long"
    assert zh[2]["ctx"] == {"error": "bad"}  # JSON-safe
    en = validation_errors(errors, "en")
    assert en[0]["msg"] == "String should have at most 200 characters"


def test_notification_texts() -> None:
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    payload = {"id": 9, "step": "accepted", "elevator_id": 3, "rescuer_id": 4, "tier": 1}
    assert (
        case_text(payload, at, "zh-CN") == "【96333】工单 9 救援人员 4 已接单（2026-12-01 10:00）"
    )
    odd = case_text({"id": 9, "step": "teleported"}, at, "en")
    assert odd == "[96333] Case 9: teleported (2026-12-01 10:00)"
    offer = {"case_id": 9, "state": "pending", "elevator_id": 3,
             "expires_at": "2026-12-01T02:00:40+00:00"}  # fmt: skip
    assert offer_text(offer, "zh-CN") == (
        "【96333】新救援派单：工单 9，电梯 3，请于 2026-12-01 10:00 前答复"
    )
    assert offer_text({"case_id": 9, "state": "withdrawn"}, "en").startswith("[96333] The offer")
