"""Catalogue loading, language negotiation and ``translate(key, lang, **vars)``."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal

DEFAULT_LANG: Final = "zh-CN"
LANGUAGES: Final = ("zh-CN", "en")
TIME_ZONE: Final = "Asia/Shanghai"
_ZONE = ZoneInfo(TIME_ZONE)
_BABEL_LOCALE = {"zh-CN": "zh_Hans_CN", "en": "en_GB"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MAX_HEADER = 512  # an Accept-Language longer than this is not read past this point


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of one language (all area files merged), loaded once."""
    messages: dict[str, str] = {}
    folder = resources.files("i18n").joinpath("messages", lang)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            messages.update({str(k): str(v) for k, v in data.items()})
    return messages


def has(key: str) -> bool:
    return key in catalogue(DEFAULT_LANG)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a message."""
    return set(_PLACEHOLDER.findall(text))


def _normalise(tag: str) -> str | None:
    low = tag.strip().lower()
    if low.startswith("zh"):
        return "zh-CN"
    if low.startswith("en"):
        return "en"
    return None


def _quality(part: str) -> float:
    for param in part.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The language to answer in: the user's own setting if any, else the best of an
    ``Accept-Language`` header (q-values honoured), else Simplified Chinese."""
    if preferred and (chosen := _normalise(preferred)):
        return chosen
    if not accept_language:
        return DEFAULT_LANG
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language[:_MAX_HEADER].split(",")):
        lang = _normalise(part.split(";")[0])
        q = _quality(part)
        if lang and q > 0:
            ranked.append((-q, index, lang))
    return min(ranked)[2] if ranked else DEFAULT_LANG


def format_value(value: object, lang: str) -> str:
    """A placeholder value as the user reads it: 2026-12-01 09:30 (Asia/Shanghai, 24 h),
    numbers with the language's grouping; anything else as text."""
    locale = _BABEL_LOCALE.get(lang, _BABEL_LOCALE[DEFAULT_LANG])
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return format_datetime(aware, "yyyy-MM-dd HH:mm", tzinfo=_ZONE, locale=locale)
    if isinstance(value, date):
        return format_date(value, "yyyy-MM-dd", locale=locale)
    if isinstance(value, time):
        return format_time(value, "HH:mm", locale=locale)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return format_decimal(value, locale=locale)
    return str(value)


def translate(key: str, lang: str | None = None, **values: object) -> str:
    """The message ``key`` in ``lang`` (Simplified Chinese when missing or unknown) with
    its placeholders filled; the key itself when no catalogue has it."""
    chosen = lang if lang in LANGUAGES else DEFAULT_LANG
    text = catalogue(chosen).get(key) or catalogue(DEFAULT_LANG).get(key) or key
    if not values:
        return text

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return format_value(values[name], chosen) if name in values else match.group(0)

    return _PLACEHOLDER.sub(fill, text)
