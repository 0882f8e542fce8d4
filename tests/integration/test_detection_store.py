"""Alarm store under concurrency, the detect stage's writes and suppression, the
condition-index job: on a real PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from alarms.model import RaisedAlarm
from alarms.repository import add_suppression, raise_alarm, resolve_alarm
from analytics.config import DetectionSettings
from domain.alarms import AlarmType
from domain.codes import CarStatus, Direction, DoorState, ServiceMode
from domain.telemetry import StatusMessage
from fleet.repository import save_fleet
from ingest.batch import Batch
from ingest.detect_stage import DetectStage
from maintenance.condition import compute_fleet_condition
from simulators.fleet import generate_fleet

pytestmark = pytest.mark.integration


def _seed(url: str, n: int = 20) -> list[int]:
    fleet = generate_fleet(n, seed=5)
    with psycopg.connect(url) as conn:
        save_fleet(conn, fleet)
    return [e.id for e in fleet.elevators]


def test_concurrent_raises_keep_one_active_alarm(fresh_database_url: str) -> None:
    eid = _seed(fresh_database_url)[0]
    at = datetime.now(UTC)
    barrier = threading.Barrier(2)
    created: list[bool] = []
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            with psycopg.connect(fresh_database_url, autocommit=True) as conn:
                barrier.wait()
                for i in range(50):  # distinct onsets: each raise is a new occurrence
                    onset = at + timedelta(milliseconds=50 * k + i)
                    r = raise_alarm(conn, eid, AlarmType.ENTRAPMENT, onset, "test", {"w": 1})
                    created.append(r.created)
        except Exception as e:  # noqa: BLE001 (reported to the main thread, which asserts on it)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert created.count(True) == 1
    with psycopg.connect(fresh_database_url) as conn:
        rows = conn.execute(
            "SELECT count(*), sum(occurrences) FROM alarms WHERE elevator_id = %s", (eid,)
        ).fetchone()
    assert rows == (1, 100)


def test_a_raise_names_its_onset_so_a_replayed_raise_changes_nothing(
    fresh_database_url: str,
) -> None:
    eid = _seed(fresh_database_url)[0]
    at = datetime.now(UTC)
    later = at + timedelta(seconds=5)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        first = raise_alarm(conn, eid, AlarmType.ENTRAPMENT, at, "test")
        assert first.created
        assert not first.replayed
        assert raise_alarm(conn, eid, AlarmType.ENTRAPMENT, at, "test") == RaisedAlarm(
            first.id, created=False, replayed=True
        )
        assert resolve_alarm(conn, eid, AlarmType.ENTRAPMENT, at + timedelta(minutes=1))
        # replayed after it was resolved: still the same alarm, nothing reopened
        assert raise_alarm(conn, eid, AlarmType.ENTRAPMENT, at, "test").replayed
        # a replay's tolerance finds it from a shifted onset
        tolerant = raise_alarm(
            conn, eid, AlarmType.ENTRAPMENT, later, "test", onset_tolerance=timedelta(minutes=10)
        )
        assert tolerant == RaisedAlarm(first.id, created=False, replayed=True)
        # a live raise with another onset is a new alarm
        second = raise_alarm(conn, eid, AlarmType.ENTRAPMENT, later, "test")
        assert second.created
        assert second.id != first.id
        rows = conn.execute(
            "SELECT count(*), sum(occurrences) FROM alarms WHERE elevator_id = %s", (eid,)
        ).fetchone()
    assert rows == (2, 2)


def _status(ts: int, **kw: object) -> StatusMessage:
    base: dict[str, object] = dict(
        v=1, seq=ts // 1000, ts=ts, car=CarStatus.STOPPED, dir=Direction.NONE, floor=2,
        door_zone=False, door=DoorState.CLOSED, passenger=True, mode=ServiceMode.NORMAL,
    )  # fmt: skip
    base.update(kw)
    return StatusMessage(**base)  # type: ignore[arg-type]


def _wait(cond: object, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.05)


def test_stage_writes_entrapment_and_suppresses_in_windows(fresh_database_url: str) -> None:
    ids = _seed(fresh_database_url)
    trapped, maintained = ids[0], ids[1]
    now = datetime.now(UTC)
    with psycopg.connect(fresh_database_url) as conn:
        add_suppression(conn, maintained, now - timedelta(hours=1), now + timedelta(hours=1),
                        "maintenance")  # fmt: skip
    stage = DetectStage(DetectionSettings(entrapment_s=2), fresh_database_url, tick_s=0.05)
    stage.start()
    try:
        t0 = int(time.time() * 1000) - 1000
        stage.consume(Batch(statuses=[(trapped, _status(t0)), (maintained, _status(t0))]))
        stage.consume(
            Batch(statuses=[(trapped, _status(t0 + 500)), (maintained, _status(t0 + 500))])
        )

        def count() -> int:
            with psycopg.connect(fresh_database_url) as conn:
                row = conn.execute("SELECT count(*) FROM alarms").fetchone()
            return int(row[0]) if row else 0

        _wait(lambda: count() >= 1 and stage.counts["suppressed"] >= 1)
        with psycopg.connect(fresh_database_url) as conn:
            rows = conn.execute(
                "SELECT elevator_id, type, state, opened_at, detail FROM alarms"
            ).fetchall()
        assert len(rows) == 1
        eid, typ, state, opened, detail = rows[0]
        assert (eid, typ, state) == (trapped, "entrapment", "open")
        assert int(opened.timestamp() * 1000) == t0 + 2000  # condition start + T
        assert detail == {"where": "between_floors", "floor": 2}
        assert stage.counts["suppressed"] == 1
        # level with doors open clears it
        t1 = int(time.time() * 1000)
        stage.consume(Batch(statuses=[(trapped, _status(t1, door_zone=True, door=DoorState.OPEN))]))
        _wait(lambda: stage.counts["resolved"] >= 1)
        with psycopg.connect(fresh_database_url) as conn:
            row = conn.execute(
                "SELECT state FROM alarms WHERE elevator_id = %s", (trapped,)
            ).fetchone()
        assert row == ("resolved",)
    finally:
        stage.stop()


def test_condition_job_writes_every_elevator(fresh_database_url: str) -> None:
    ids = _seed(fresh_database_url, 30)
    now = datetime.now(UTC)
    with psycopg.connect(fresh_database_url) as conn, conn.cursor() as cur:
        rows = []
        for k, eid in enumerate(ids):
            for i in range(40):
                vib = 0.2 + (0.5 if k == 0 else 0.0) + 0.001 * (i % 3)
                rows.append((now - timedelta(minutes=i), eid, i, now, vib))
        cur.executemany(
            """INSERT INTO telemetry (ts, elevator_id, seq, received_at, car, dir, floor,
                       door_zone, door, passenger, mode, power, speed, load, leveling_mm,
                       run_hours, runs, door_cycles, analog)
                   VALUES (%s, %s, %s, %s, 0, 0, 1, true, 0, false, 1, 0, 0, 0, 0, 0, 0, 0,
                           jsonb_build_object('vibration', %s::real))""",
            rows,
        )
    assert compute_fleet_condition(fresh_database_url) == len(ids)
    with psycopg.connect(fresh_database_url) as conn:
        got: dict[int, float] = dict(conn.execute(
            "SELECT elevator_id, condition_index FROM elevator_condition"
        ).fetchall())  # fmt: skip
    assert len(got) == len(ids)
    assert got[ids[0]] < 80 < min(v for e, v in got.items() if e != ids[0])
