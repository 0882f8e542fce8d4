"""Presence: ``elevator_status.online`` and the ``status`` live events of terminals
going offline or coming back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from storage.events import CHANNEL, notify

_PRESENCE = """
UPDATE elevator_status s SET online = c.online,
       online_since = CASE WHEN c.online THEN c.at ELSE NULL END
FROM unnest(%s::int[], %s::bool[], %s::timestamptz[]) AS c(elevator_id, online, at)
WHERE s.elevator_id = c.elevator_id
"""
_STATUS_EVENTS = """
SELECT count(pg_notify(%s, json_build_object('kind', 'status', 'elevator_id', e,
                                             'online', o)::text))
FROM unnest(%s::int[], %s::bool[]) AS c (e, o)
"""


def update_presence(
    cursor: psycopg.Cursor[Any],
    elevator_ids: Sequence[int],
    online: Sequence[bool],
    moments: Sequence[datetime],
) -> None:
    """Set each elevator's presence (and since when it is online)."""
    cursor.execute(_PRESENCE, (list(elevator_ids), list(online), list(moments)))


def announce_status(conn: psycopg.Connection[Any], elevator_id: int, online: bool) -> None:
    """The live event of one terminal going offline or coming back."""
    notify(conn, "status", {"elevator_id": elevator_id, "online": online})


def announce_statuses(
    cursor: psycopg.Cursor[Any], elevator_ids: Sequence[int], online: Sequence[bool]
) -> None:
    """:func:`announce_status` for many terminals, in one statement."""
    cursor.execute(_STATUS_EVENTS, (CHANNEL, list(elevator_ids), list(online)))
