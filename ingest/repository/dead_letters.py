"""Dead letters: messages ingest refused, with the reason (written by binary COPY in the
batch's transaction; read by the admin's list)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from ingest.decode import DeadLetter

_DEAD_TYPES = ["timestamptz", "text", "text", "text", "bytea", "int4"]


@dataclass(frozen=True)
class StoredDeadLetter:
    id: int
    received_at: datetime
    topic: str
    reason: str
    detail: str
    payload_size: int
    payload_preview: bytes  # the first bytes of the payload


def store_dead_letters(cursor: psycopg.Cursor[Any], dead: Sequence[DeadLetter]) -> None:
    with cursor.copy(
        "COPY dead_letters (received_at, topic, reason, detail, payload, payload_size)"
        " FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(_DEAD_TYPES)
        for letter in dead:
            copy.write_row(
                (
                    datetime.fromtimestamp(letter.received_ms / 1000, tz=UTC),
                    letter.topic.replace("\x00", "?"),
                    letter.reason.value,
                    letter.detail.replace("\x00", "?"),
                    letter.payload,
                    letter.size,
                )
            )


async def fetch_dead_letters(
    conn: psycopg.AsyncConnection[Any],
    reason: str | None,
    since: datetime | None,
    preview_bytes: int,
    limit: int,
    offset: int,
) -> list[StoredDeadLetter]:
    """Dead letters, newest first, with the first ``preview_bytes`` of each payload."""
    async with conn.cursor(row_factory=class_row(StoredDeadLetter)) as cursor:
        await cursor.execute(
            """SELECT id, received_at, topic, reason, detail, payload_size,
                      substring(payload FROM 1 FOR %(preview)s) AS payload_preview
               FROM dead_letters
               WHERE (%(reason)s::text IS NULL OR reason = %(reason)s)
                 AND (%(since)s::timestamptz IS NULL OR received_at >= %(since)s)
               ORDER BY received_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s""",
            {
                "preview": preview_bytes,
                "reason": reason,
                "since": since,
                "limit": limit,
                "offset": offset,
            },
        )
        return await cursor.fetchall()
