"""The texts the server writes for people: API error details and validation messages,
rescue notification texts. Each is a catalogue lookup (``translate``) over plain data."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from domain.errors import (
    ConflictError,
    InvalidRequestError,
    LiftwatchError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)
from i18n.catalogue import has, translate

_KINDS: tuple[tuple[type[LiftwatchError], str], ...] = (
    (NotFoundError, "not_found"),
    (ConflictError, "conflict"),
    (InvalidRequestError, "invalid"),
    (PermissionDeniedError, "forbidden"),
    (UnavailableError, "unavailable"),
)


class Term(str):
    """A placeholder value that is itself a catalogue key (a step's or a state's name):
    filled in with its text in the same language."""

    __slots__ = ()


def _term(value: Term, lang: str) -> str:
    return translate(value, lang) if has(value) else value.rsplit(".", 1)[-1]


def _value(value: object, lang: str) -> object:
    if isinstance(value, Term):
        return _term(value, lang)
    if isinstance(value, tuple) and value and all(isinstance(v, Term) for v in value):
        return translate("errors.separator", lang).join(_term(v, lang) for v in value)
    return value


def _values(values: Mapping[str, object], lang: str) -> dict[str, object]:
    """A :class:`Term` is filled in with its name, a tuple of them with their names
    joined (顿号 in Chinese, commas in English)."""
    return {k: _value(v, lang) for k, v in values.items()}


class MessageError(LiftwatchError):
    """A deliberate error whose message is a catalogue key with its placeholder values;
    ``str(error)`` is the English text (for logs), :func:`error_message` the user's."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(translate(key, "en", **_values(values, "en")))


def error_message(exc: LiftwatchError, lang: str) -> str:
    """A deliberate error in the user's language: its own catalogue key (a
    :class:`MessageError`), else its class's message, else its kind's; the original
    (English) message fills ``{message}``."""
    if isinstance(exc, MessageError) and has(exc.key):
        return translate(exc.key, lang, **_values(exc.values, lang))
    key = f"errors.{type(exc).__name__}"
    if not has(key):
        kind = next((name for base, name in _KINDS if isinstance(exc, base)), None)
        if kind is None:
            return str(exc)
        key = f"errors.kind.{kind}"
    return translate(key, lang, message=str(exc))


def _plain(value: object) -> object:
    return value if isinstance(value, str | int | float) else str(value)


def validation_errors(errors: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """FastAPI/pydantic validation errors with ``msg`` in the user's language (the shape
    kept: ``loc``, ``msg``, ``type`` ...); a type without a catalogue entry keeps its
    message."""
    out: list[dict[str, Any]] = []
    for error in errors:
        item = dict(error)
        key = f"validation.{item.get('type', '')}"
        if has(key):
            context = item.get("ctx") if isinstance(item.get("ctx"), Mapping) else {}
            values = {str(k): v for k, v in (context or {}).items()}
            values.setdefault("message", str(item.get("msg", "")))
            item["msg"] = translate(key, lang, **values)
        if isinstance(item.get("ctx"), Mapping):  # exceptions in ctx are not JSON
            item["ctx"] = {k: _plain(v) for k, v in item["ctx"].items()}
        out.append(item)
    return out


def case_text(payload: Mapping[str, Any], at: datetime, lang: str) -> str:
    """One line about a rescue case's step, for MQTT and webhook receivers (SMS, apps)."""
    step = str(payload.get("step", ""))
    key = f"notify.case.{step}" if has(f"notify.case.{step}") else "notify.case.other"
    return translate(
        key,
        lang,
        id=payload.get("id", "?"),
        elevator=payload.get("elevator_id", "?"),
        tier=payload.get("tier", "?"),
        rescuer=payload.get("rescuer_id") or payload.get("actor", "?"),
        step=step,
        time=at,
    )


def offer_text(payload: Mapping[str, Any], lang: str) -> str:
    """One line about a dispatch offer, for the rescuer's phone."""
    state = str(payload.get("state", ""))
    key = f"notify.offer.{state}" if has(f"notify.offer.{state}") else "notify.offer.other"
    expires: object = payload.get("expires_at", "?")
    if isinstance(expires, str):
        with contextlib.suppress(ValueError):
            expires = datetime.fromisoformat(expires)
    return translate(
        key,
        lang,
        case=payload.get("case_id", "?"),
        elevator=payload.get("elevator_id", "?"),
        expires=expires,
        state=state,
    )
