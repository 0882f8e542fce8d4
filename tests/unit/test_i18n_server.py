"""Server-side messages: language negotiation, translate() with Babel formatting, API
error details and validation messages, rescue notification texts."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from accounts.model import Role
from alarms.errors import AlarmNotFound, AlarmTransitionRefused
from api.routers import auth as auth_router
from api.routers import cases as cases_router
from api.routers import events as events_router
from domain.alarm_lifecycle import AlarmAction, AlarmState
from domain.errors import ConflictError, LiftwatchError
from hazards.errors import EvidenceTooLarge, IllegalStep, NotYourStep, UnknownHazard
from hazards.model import Action, Party, Source, State
from i18n import (
    DEFAULT_LANG,
    MessageError,
    Term,
    case_text,
    catalogue,
    error_message,
    format_value,
    negotiate,
    offer_text,
    translate,
    validation_errors,
)
from maintenance.errors import ChecklistIncomplete
from public.errors import UnknownCode
from rescue import webhook_targets, webhooks
from rescue.errors import InvalidTransition
from rescue.lifecycle import CaseState
from units.errors import AlreadyRecorded, InvalidCheck, UnknownUnit
from units.model import CheckKind


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


# ---- every message the server raises is in both catalogues ------------------------------
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "alarms", "api", "fleet", "hazards", "maintenance", "public", "rescue")
PRODUCT = [
    p
    for package in (*PACKAGES, "units", "ingest", "i18n", "domain", "storage", "liftwatch")
    for p in sorted((ROOT / package).rglob("*.py"))
]
KEY_LITERAL = re.compile(r"""["'](errors\.[a-z_]+\.[a-z_.]+)["']""")
CJK = re.compile(r"[\u3400-\u9fff]")


def test_every_message_key_the_code_names_is_in_both_languages() -> None:
    zh, en = catalogue("zh-CN"), catalogue("en")
    used = {key: path.name for path in PRODUCT for key in KEY_LITERAL.findall(path.read_text())}
    assert len(used) > 40, sorted(used)  # the scan finds the keys
    missing = sorted(f"{k} ({where})" for k, where in used.items() if k not in zh or k not in en)
    assert not missing, f"message keys not in the catalogues: {missing}"


def test_the_routers_messages_are_catalogue_keys() -> None:
    for module in (auth_router, cases_router, events_router, webhooks, webhook_targets):
        for name, key in module.MESSAGES.items():
            assert key in catalogue("zh-CN"), f"{module.__name__}.MESSAGES[{name!r}]"
            assert key in catalogue("en"), f"{module.__name__}.MESSAGES[{name!r}]"
            assert CJK.search(translate(key, "zh-CN")), key
            assert not CJK.search(translate(key, "en")), key


def test_every_name_a_message_fills_in_is_in_both_languages() -> None:
    wanted = (
        [f"errors.hazards.role.{r.value}" for r in Role]
        + ["errors.hazards.role.system"]
        + [f"errors.hazards.action.{a.value}" for a in Action]
        + [f"errors.hazards.state.{s.value}" for s in State]
        + [f"errors.hazards.party.{p.value}" for p in Party]
        + [f"errors.hazards.source.{s.value}" for s in Source]
        + [f"errors.units.kind.{k.value}" for k in CheckKind]
        + [f"errors.alarms.state.{s.value}" for s in AlarmState]
        + [f"errors.alarms.action.{a.value}" for a in AlarmAction]
        + [f"errors.rescue.state.{s.value}" for s in CaseState]
        + [f"errors.maintenance.order_state.{s}" for s in ("open", "in_progress", "done")]
        + ["errors.maintenance.order_state.cancelled"]
    )
    for lang in ("zh-CN", "en"):
        missing = [k for k in wanted if k not in catalogue(lang)]
        assert not missing, f"{lang}: {missing}"


def test_no_message_is_written_in_two_languages_in_one_literal() -> None:
    """Chinese words in code are only in docstrings and comments (the catalogues hold the
    texts): a "中文 (english)" literal in an error or a router is what this catches."""
    files = sorted((ROOT / "api" / "routers").glob("*.py")) + sorted(ROOT.glob("*/errors.py"))
    files += [ROOT / "rescue" / "webhooks.py", ROOT / "rescue" / "webhook_targets.py"]
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and CJK.search(node.value)
                and not CSV_HEADER.match(node.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:40]!r}")
    assert not found, found


# The bilingual column names of a CSV export (a file header, not a message):
# "使用单位 user_unit_id".
CSV_HEADER = re.compile(r"^[\u3400-\u9fff]+ [a-z_]+$")


@pytest.mark.parametrize(
    ("exc", "zh", "en"),
    [
        (
            NotYourStep.step("company", "verify", "company"),
            "维保单位不能对维保单位负责的隐患执行“验收”",
            "a maintenance company may not verify a hazard for the maintenance company",
        ),
        (
            NotYourStep.report("desk", "spot_check"),
            "96333 坐席不能上报来源为“监督抽查”的隐患",
            "a desk operator may not report a hazard from spot check",
        ),
        (
            IllegalStep("verify", "reported"),
            "隐患当前为“已上报”，不能执行“验收”",
            "cannot verify a hazard that is reported",
        ),
        (
            EvidenceTooLarge(70_000, 65_536),
            "文件大小 70,000 字节，超过上限 65,536 字节",
            "file of 70,000 bytes exceeds the limit of 65,536 bytes",
        ),
        (UnknownHazard(12345), "未找到隐患 12345", "hazard 12345 not found"),  # ids ungrouped
        (UnknownUnit(7), "未找到使用单位 7", "user unit 7 not found"),
        (
            InvalidCheck.no_checklist("weekly"),
            "尚未配置周排查检查表",
            "no weekly checklist is configured",
        ),
        (AlreadyRecorded(), "本期记录已存在", "this period's record exists already"),
        (
            InvalidTransition(3, "closed", "on_site"),
            "案件 3 当前为“已结案”，不能变为“已到场”",
            "case 3 is closed; it cannot become on_site",
        ),
        (
            ChecklistIncomplete(["A1-01"], []),
            "以下必检项目未勾选：A1-01",
            "mandatory checklist items not ticked: A1-01",
        ),
        (
            AlarmTransitionRefused(7, AlarmState.OPEN, AlarmAction.CLOSE),
            "报警 7 当前为“待处理”，不能执行“关闭”（可执行：确认、标记误报、处置、开始处理）",
            "alarm 7 is open: cannot close (allowed: acknowledge, mark_false, resolve, start)",
        ),
        (
            AlarmTransitionRefused(7, AlarmState.CLOSED, AlarmAction.ACKNOWLEDGE),
            "报警 7 当前为“已关闭”，已结束，不能执行“确认”",
            "alarm 7 is closed: cannot acknowledge (allowed: none, the alarm is final)",
        ),
    ],
)
def test_domain_errors_in_both_languages_with_their_values(
    exc: LiftwatchError, zh: str, en: str
) -> None:
    assert error_message(exc, "zh-CN") == zh
    assert error_message(exc, "en") == en
    assert str(exc) == en  # logs read the English text


def test_a_name_without_a_catalogue_entry_shows_its_code() -> None:
    exc = NotYourStep.step("janitor", "verify", "company")
    assert error_message(exc, "zh-CN") == "janitor不能对维保单位负责的隐患执行“验收”"
    assert isinstance(exc, MessageError)
    assert isinstance(exc.values["role"], Term)
