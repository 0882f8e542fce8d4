"""Batched, idempotent writes of one ingest batch in one transaction.

Telemetry and events go by binary COPY into staging and from there, idempotently, into
``telemetry`` / ``terminal_events`` (:mod:`ingest.repository.telemetry`): a redelivered
message stores nothing twice. Dead letters and presence changes (with their
TERMINAL_OFFLINE alarms) commit in the same transaction, so a batch is acknowledged to
the broker only when all of it is durable.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import psycopg

from alarms.repository import raise_alarm, raise_alarms_at, resolve_alarm, resolve_alarms_at
from domain.alarms import AlarmType
from domain.validation import DeadLetterReason
from ingest.batch import PresenceChange
from ingest.decode import DeadLetter, Decoded
from ingest.repository import dead_letters, presence, telemetry

OFFLINE_SOURCE = "ingest.presence"
OFFLINE_DETAIL = {"reason": "heartbeat timeout or last will"}
_OFFLINE_DETAIL_JSON = msgspec.json.encode(OFFLINE_DETAIL).decode()

# More presence changes than this in one batch (a district's network down, ingest back
# after a long stop) are written set-based: one statement each for the status rows, the
# alarms raised, the alarms resolved and their live events, with the same effect as
# raising and resolving them one by one.
BULK_PRESENCE = 50


@dataclass(frozen=True)
class WriteResult:
    staged: int
    stored: int
    events_staged: int
    events_stored: int
    dead: int

    @property
    def duplicates(self) -> int:
        return self.staged - self.stored + self.events_staged - self.events_stored


def _ms_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class BatchWriter:
    """Writes batches over one connection (which it owns); the staging tables are made
    when it is created (after every reconnect)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        telemetry.create_staging(conn)

    def write(self, decoded: Decoded, changes: list[PresenceChange]) -> WriteResult:
        """Write everything and commit; on error the transaction is rolled back."""
        conn = self.conn
        try:
            with conn.cursor() as cursor:
                result = self._write(cursor, decoded, changes)
            conn.commit()
        except BaseException:
            if not conn.closed:
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()
            raise
        return result

    def _write(
        self, cursor: psycopg.Cursor[Any], decoded: Decoded, changes: list[PresenceChange]
    ) -> WriteResult:
        staged = stored = events_staged = events_stored = 0
        if decoded.statuses:
            staged = len(decoded.statuses)
            stored = telemetry.store_statuses(cursor, decoded.statuses)
        if decoded.events:
            events_staged = len(decoded.events)
            events_stored = telemetry.store_events(cursor, decoded.events)
        if decoded.dead:
            dead_letters.store_dead_letters(cursor, decoded.dead)
        if changes:
            self._store_presence(cursor, changes)
        return WriteResult(staged, stored, events_staged, events_stored, len(decoded.dead))

    def _store_presence(self, cursor: psycopg.Cursor[Any], changes: list[PresenceChange]) -> None:
        # The last change per elevator wins (a flap inside one batch nets out).
        final: dict[int, PresenceChange] = {change.elevator_id: change for change in changes}
        if len(final) < len(changes) or len(final) > BULK_PRESENCE:
            _store_presence_in_bulk(cursor, list(final.values()))
            return
        conn = self.conn
        presence.update_presence(
            cursor,
            [change.elevator_id for change in changes],
            [change.online for change in changes],
            [_ms_datetime(change.at_ms) for change in changes],
        )
        for change in changes:
            at = _ms_datetime(change.at_ms)
            if change.online:
                resolve_alarm(conn, change.elevator_id, AlarmType.TERMINAL_OFFLINE, at)
            else:
                raise_alarm(
                    conn, change.elevator_id, AlarmType.TERMINAL_OFFLINE, at, OFFLINE_SOURCE,
                    dict(OFFLINE_DETAIL),
                )  # fmt: skip
            presence.announce_status(conn, change.elevator_id, change.online)


def _store_presence_in_bulk(cursor: psycopg.Cursor[Any], changes: list[PresenceChange]) -> None:
    ids = [change.elevator_id for change in changes]
    online = [change.online for change in changes]
    presence.update_presence(cursor, ids, online, [_ms_datetime(c.at_ms) for c in changes])
    down = [change for change in changes if not change.online]
    up = [change for change in changes if change.online]
    if down:
        raise_alarms_at(
            cursor, AlarmType.TERMINAL_OFFLINE, OFFLINE_SOURCE, _OFFLINE_DETAIL_JSON,
            [change.elevator_id for change in down],
            [_ms_datetime(change.at_ms) for change in down],
        )  # fmt: skip
    if up:
        resolve_alarms_at(
            cursor,
            AlarmType.TERMINAL_OFFLINE,
            [change.elevator_id for change in up],
            [_ms_datetime(change.at_ms) for change in up],
        )
    presence.announce_statuses(cursor, ids, online)


def dead_letter_all(decoded: Decoded, reason: str, keep_bytes: int) -> None:
    """Turn the batch's statuses and events into ``store_failed`` dead letters: valid on
    the wire but refused by the database, they are kept rather than retried forever."""
    dead = list(decoded.dead)
    for rows in (decoded.statuses, decoded.events):
        for _ref, message, received_ms, topic in rows:
            raw = msgspec.json.encode(message)
            dead.append(
                DeadLetter(
                    received_ms, topic, DeadLetterReason.STORE_FAILED, reason,
                    raw[:keep_bytes], len(raw),
                )
            )  # fmt: skip
    decoded.statuses, decoded.events, decoded.dead = [], [], dead
