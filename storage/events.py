"""Cross-process live events over PostgreSQL LISTEN/NOTIFY.

Producers (ingest, detectors, dispatch) call :func:`notify` inside their transaction, so
an event is delivered only if what it reports was committed. The API listens on
:data:`CHANNEL` and fans events out to SSE clients; the dispatcher listens for alarms
that need a rescue case.

Payload: JSON ``{"kind": "<kind>", ...}``; kinds: ``alarm``, ``status``, ``case``,
``offer``. PostgreSQL limits a payload to 8000 bytes: send identifiers and a summary.
"""

from __future__ import annotations

from typing import Any

import msgspec
import psycopg

CHANNEL = "liftwatch_events"
MAX_PAYLOAD = 7900


def encode_event(kind: str, data: dict[str, Any]) -> str:
    payload = msgspec.json.encode({"kind": kind, **data}).decode()
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"event payload too large ({len(payload)} bytes)")
    return payload


def notify(conn: psycopg.Connection[Any], kind: str, data: dict[str, Any]) -> None:
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, encode_event(kind, data)))


async def anotify(conn: psycopg.AsyncConnection[Any], kind: str, data: dict[str, Any]) -> None:
    await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, encode_event(kind, data)))
