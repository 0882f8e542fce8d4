"""Batched, idempotent writes of one ingest batch in one transaction.

Telemetry and events go by binary COPY into temporary staging tables, then
``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` into ``telemetry`` /
``terminal_events`` (keys (elevator_id, ts, seq)): a redelivered message stores nothing
twice. ``elevator_status`` keeps each elevator's newest sample by event time. Dead
letters and presence changes (with their TERMINAL_OFFLINE alarms) commit in the same
transaction, so a batch is acknowledged to the broker only when all of it is durable.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import psycopg

from alarms.repository import raise_alarm, resolve_alarm
from domain.alarms import SEVERITY, AlarmType
from domain.codes import (
    CAR_STATUS_IDS,
    DIRECTION_IDS,
    DOOR_STATE_IDS,
    POWER_STATE_IDS,
    SERVICE_MODE_IDS,
)
from ingest.batch import PresenceChange
from ingest.decode import Decoded
from storage.events import CHANNEL, notify

_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS ingest_stage_telemetry (
    ts_ms bigint, elevator_id integer, seq bigint, received_ms bigint,
    car smallint, dir smallint, floor smallint, door_zone boolean, door smallint,
    passenger boolean, mode smallint, power smallint, speed real, load real,
    leveling_mm real, run_hours real, runs integer, door_cycles integer, analog text
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ingest_stage_events (
    ts_ms bigint, elevator_id integer, seq bigint, received_ms bigint,
    code smallint, active boolean, floor smallint, detail text
) ON COMMIT DELETE ROWS;
"""
_TELEMETRY_TYPES = [
    "int8", "int4", "int8", "int8", "int2", "int2", "int2", "bool", "int2",
    "bool", "int2", "int2", "float4", "float4", "float4", "float4", "int4", "int4", "text",
]  # fmt: skip
_EVENT_TYPES = ["int8", "int4", "int8", "int8", "int2", "bool", "int2", "text"]
_DEAD_TYPES = ["timestamptz", "text", "text", "text", "bytea", "int4"]

# Event time is staged as int ms since the epoch; the conversion is exact.
_INSERT_TELEMETRY = """
INSERT INTO telemetry (ts, elevator_id, seq, received_at, car, dir, floor, door_zone, door,
                       passenger, mode, power, speed, load, leveling_mm, run_hours, runs,
                       door_cycles, analog)
SELECT ('epoch'::timestamptz + ts_ms * interval '1 millisecond'),
       elevator_id, seq,
       ('epoch'::timestamptz + received_ms * interval '1 millisecond'),
       car, dir, floor,
       door_zone, door, passenger, mode, power, speed, load, leveling_mm, run_hours, runs,
       door_cycles, analog::jsonb
FROM ingest_stage_telemetry
ON CONFLICT DO NOTHING
"""
_UPSERT_STATUS = """
INSERT INTO elevator_status AS s (elevator_id, ts, seq, car, dir, floor, door_zone, door,
                                  passenger, mode, power, speed, received_at)
SELECT DISTINCT ON (elevator_id) elevator_id,
       ('epoch'::timestamptz + ts_ms * interval '1 millisecond'),
       seq, car, dir, floor, door_zone, door, passenger, mode, power, speed,
       ('epoch'::timestamptz + received_ms * interval '1 millisecond')
FROM ingest_stage_telemetry
ORDER BY elevator_id, ts_ms DESC, seq DESC
ON CONFLICT (elevator_id) DO UPDATE SET
    ts = EXCLUDED.ts, seq = EXCLUDED.seq, car = EXCLUDED.car, dir = EXCLUDED.dir,
    floor = EXCLUDED.floor, door_zone = EXCLUDED.door_zone, door = EXCLUDED.door,
    passenger = EXCLUDED.passenger, mode = EXCLUDED.mode, power = EXCLUDED.power,
    speed = EXCLUDED.speed, received_at = EXCLUDED.received_at
WHERE (s.ts, s.seq) < (EXCLUDED.ts, EXCLUDED.seq)
"""
_INSERT_EVENTS = """
INSERT INTO terminal_events (ts, elevator_id, seq, received_at, code, active, floor, detail)
SELECT ('epoch'::timestamptz + ts_ms * interval '1 millisecond'),
       elevator_id, seq,
       ('epoch'::timestamptz + received_ms * interval '1 millisecond'),
       code, active,
       floor, detail
FROM ingest_stage_events
ON CONFLICT DO NOTHING
"""
_PRESENCE = """
UPDATE elevator_status s SET online = c.online,
       online_since = CASE WHEN c.online THEN c.at ELSE NULL END
FROM unnest(%s::int[], %s::bool[], %s::timestamptz[]) AS c(elevator_id, online, at)
WHERE s.elevator_id = c.elevator_id
"""


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
    """Writes batches over one connection (which it owns); prepare() after reconnect."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        conn.execute(_STAGE)
        conn.commit()

    def write(self, decoded: Decoded, presence: list[PresenceChange]) -> WriteResult:
        """Write everything and commit; on error the transaction is rolled back."""
        conn = self.conn
        try:
            with conn.cursor() as cur:
                staged = stored = ev_staged = ev_stored = 0
                if decoded.statuses:
                    staged = self._copy_statuses(cur, decoded)
                    cur.execute(_INSERT_TELEMETRY)
                    stored = max(cur.rowcount, 0)
                    cur.execute(_UPSERT_STATUS)
                if decoded.events:
                    ev_staged = self._copy_events(cur, decoded)
                    cur.execute(_INSERT_EVENTS)
                    ev_stored = max(cur.rowcount, 0)
                if decoded.dead:
                    self._copy_dead(cur, decoded)
                if presence:
                    self._presence(conn, cur, presence)
            conn.commit()
        except BaseException:
            if not conn.closed:
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()
            raise
        return WriteResult(staged, stored, ev_staged, ev_stored, len(decoded.dead))

    @staticmethod
    def _copy_statuses(cur: psycopg.Cursor[Any], decoded: Decoded) -> int:
        cars, dirs, doors = CAR_STATUS_IDS, DIRECTION_IDS, DOOR_STATE_IDS
        modes, powers = SERVICE_MODE_IDS, POWER_STATE_IDS
        encode = msgspec.json.encode
        with cur.copy("COPY ingest_stage_telemetry FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_TELEMETRY_TYPES)
            write = copy.write_row
            for ref, m, received_ms, _ in decoded.statuses:
                c = m.counters
                write(
                    (
                        m.ts, ref.elevator_id, m.seq, received_ms, cars[m.car], dirs[m.dir],
                        m.floor, m.door_zone, doors[m.door], m.passenger, modes[m.mode],
                        powers[m.power], m.speed, m.load, m.leveling_mm, c.run_hours, c.runs,
                        c.door_cycles, encode(m.analog).decode() if m.analog else None,
                    )
                )  # fmt: skip
        return len(decoded.statuses)

    @staticmethod
    def _copy_events(cur: psycopg.Cursor[Any], decoded: Decoded) -> int:
        with cur.copy("COPY ingest_stage_events FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_EVENT_TYPES)
            for ref, m, received_ms, _ in decoded.events:
                copy.write_row(
                    (m.ts, ref.elevator_id, m.seq, received_ms, m.code, m.active, m.floor,
                     m.detail.replace("\x00", ""))
                )  # fmt: skip
        return len(decoded.events)

    @staticmethod
    def _copy_dead(cur: psycopg.Cursor[Any], decoded: Decoded) -> None:
        with cur.copy(
            "COPY dead_letters (received_at, topic, reason, detail, payload, payload_size)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_DEAD_TYPES)
            for d in decoded.dead:
                copy.write_row(
                    (
                        _ms_datetime(d.received_ms),
                        d.topic.replace("\x00", "?"),
                        d.reason.value,
                        d.detail.replace("\x00", "?"),
                        d.payload,
                        d.size,
                    )
                )

    @staticmethod
    def _presence(
        conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], changes: list[PresenceChange]
    ) -> None:
        # The last change per elevator wins (a flap inside one batch nets out).
        final: dict[int, PresenceChange] = {c.elevator_id: c for c in changes}
        if len(final) < len(changes) or len(final) > BULK_PRESENCE:
            _presence_bulk(cur, list(final.values()))
            return
        cur.execute(
            _PRESENCE,
            (
                [c.elevator_id for c in changes],
                [c.online for c in changes],
                [_ms_datetime(c.at_ms) for c in changes],
            ),
        )
        for c in changes:
            at = _ms_datetime(c.at_ms)
            if c.online:
                resolve_alarm(conn, c.elevator_id, AlarmType.TERMINAL_OFFLINE, at)
            else:
                raise_alarm(
                    conn, c.elevator_id, AlarmType.TERMINAL_OFFLINE, at, "ingest.presence",
                    {"reason": "heartbeat timeout or last will"},
                )  # fmt: skip
            notify(conn, "status", {"elevator_id": c.elevator_id, "online": c.online})


# More presence changes than this in one batch (a district's network down, ingest back
# after a long stop) are written set-based: one statement each for the status rows, the
# alarms raised, the alarms resolved and their live events, with the same effect and
# event payloads as alarms.repository.raise_alarm / resolve_alarm one by one.
BULK_PRESENCE = 50

_BULK_RAISE = """
WITH c (elevator_id, at) AS (SELECT * FROM unnest(%(ids)s::int[], %(ats)s::timestamptz[])),
up AS (
    INSERT INTO alarms (elevator_id, type, severity, source, opened_at, last_seen_at, detail)
    SELECT elevator_id, %(type)s, %(severity)s, 'ingest.presence', at, at, %(detail)s::jsonb
    FROM c
    ON CONFLICT (elevator_id, type) WHERE state IN ('open', 'acknowledged', 'in_progress')
    DO UPDATE SET last_seen_at = GREATEST(alarms.last_seen_at, EXCLUDED.last_seen_at),
                  occurrences = alarms.occurrences + 1,
                  detail = alarms.detail || EXCLUDED.detail
    RETURNING id, elevator_id, opened_at, (xmax = 0) AS created
)
SELECT count(pg_notify(%(channel)s, json_build_object(
    'kind', 'alarm', 'id', id, 'elevator_id', elevator_id, 'type', %(type)s, 'state', 'open',
    'severity', %(severity)s, 'at', opened_at)::text))
FROM up WHERE created
"""
_BULK_RESOLVE = """
WITH c (elevator_id, at) AS (SELECT * FROM unnest(%(ids)s::int[], %(ats)s::timestamptz[])),
r AS (
    UPDATE alarms a SET state = 'resolved', resolved_at = c.at, last_seen_at = c.at
    FROM c
    WHERE a.elevator_id = c.elevator_id AND a.type = %(type)s
      AND a.state IN ('open', 'acknowledged', 'in_progress')
    RETURNING a.id, a.elevator_id, c.at
)
SELECT count(pg_notify(%(channel)s, json_build_object(
    'kind', 'alarm', 'id', id, 'elevator_id', elevator_id, 'type', %(type)s,
    'state', 'resolved', 'at', at)::text))
FROM r
"""
_BULK_STATUS_EVENTS = """
SELECT count(pg_notify(%s, json_build_object('kind', 'status', 'elevator_id', e,
                                             'online', o)::text))
FROM unnest(%s::int[], %s::bool[]) AS c (e, o)
"""


def _presence_bulk(cur: psycopg.Cursor[Any], changes: list[PresenceChange]) -> None:
    ids = [c.elevator_id for c in changes]
    online = [c.online for c in changes]
    ats = [_ms_datetime(c.at_ms) for c in changes]
    cur.execute(_PRESENCE, (ids, online, ats))
    kind = AlarmType.TERMINAL_OFFLINE
    common = {"type": kind.value, "channel": CHANNEL, "severity": int(SEVERITY[kind])}
    down = [c for c in changes if not c.online]
    up = [c for c in changes if c.online]
    if down:
        cur.execute(
            _BULK_RAISE,
            {
                **common,
                "ids": [c.elevator_id for c in down],
                "ats": [_ms_datetime(c.at_ms) for c in down],
                "detail": '{"reason": "heartbeat timeout or last will"}',
            },
        )
    if up:
        cur.execute(
            _BULK_RESOLVE,
            {
                **common,
                "ids": [c.elevator_id for c in up],
                "ats": [_ms_datetime(c.at_ms) for c in up],
            },
        )
    cur.execute(_BULK_STATUS_EVENTS, (CHANNEL, ids, online))
