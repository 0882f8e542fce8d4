"""Alarms survive a crash: ingest acknowledges a batch when its telemetry is committed,
before the detectors' alarms are written. A kill -9 in between, or a 20-s database
outage during an entrapment, must still give exactly one alarm, at the entrapment's own
onset (start + T), and one rescue case. Real PostgreSQL, mosquitto, `liftwatch ingest`.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from analytics.config import DetectionSettings
from domain.fleet import Elevator
from domain.telemetry import status_topic
from fleet.repository import save_fleet
from ingest.config import IngestSettings
from ingest.detect_stage import DetectStage
from ingest.service import IngestService
from rescue.config import DispatchSettings
from rescue.service import DispatchService
from simulators.fleet import generate_fleet
from tests.integration.test_ingest_faults import TcpProxy, _via
from tests.integration.test_ingest_support import (
    IngestProcess,
    RawPublisher,
    now_ms,
    scalar,
    status_payload,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T_S = 5.0
TRAPPED: dict[str, Any] = {"passenger": True, "door_zone": False, "floor": 5, "car": "stopped"}
ENTRAPMENTS = "SELECT count(*) FROM alarms WHERE elevator_id = %s AND type = 'entrapment'"
ONSET = "SELECT opened_at FROM alarms WHERE elevator_id = %s AND type = 'entrapment'"
CASES = "SELECT count(*) FROM rescue_cases WHERE elevator_id = %s"


class Terminal:
    """One elevator's terminal, publishing its status over the raw QoS 1 publisher."""

    def __init__(self, mqtt_url: str, topic_root: str, elevator: Elevator) -> None:
        self.publisher = RawPublisher(mqtt_url)
        self.topic = status_topic(elevator.terminal_id, topic_root)
        self.seq = itertools.count(1)

    def send(self, ts: int, **kw: Any) -> None:
        floor = int(kw.pop("floor", 1))
        self.publisher.publish(self.topic, status_payload(next(self.seq), ts, floor, **kw))

    def board(self, db_url: str, elevator_id: int) -> None:
        """A passenger boards at the landing (the terminal's first message: it is online)."""
        self.send(now_ms() - 2_000, door="open", passenger=True)
        wait_for(lambda: _stored(db_url, elevator_id) >= 1, 30, "the boarding sample stored")

    def trap(self, db_url: str, elevator_id: int) -> int:
        """The car stops between floors. Returns the entrapment's start (event time), once
        the sample is committed."""
        start = now_ms()
        self.send(start, **TRAPPED)
        wait_for(lambda: _stored(db_url, elevator_id) >= 2, 30, "the trapped sample stored")
        return start

    def close(self) -> None:
        self.publisher.close()


def _stored(db_url: str, elevator_id: int) -> int:
    return int(
        scalar(db_url, "SELECT count(*) FROM telemetry WHERE elevator_id = %s", (elevator_id,))
    )


def _seed(db_url: str) -> Elevator:
    fleet = generate_fleet(20, seed=3)
    with psycopg.connect(db_url) as conn:
        save_fleet(conn, fleet)
    return fleet.elevators[3]


@contextmanager
def _alarms_locked(db_url: str) -> Iterator[None]:
    """Hold a lock that lets everyone read the alarms table and no one write it."""
    with psycopg.connect(db_url) as conn:
        conn.execute("LOCK TABLE alarms IN SHARE MODE")
        yield
        conn.rollback()


def _writers_waiting(db_url: str) -> int:
    return int(
        scalar(
            db_url,
            """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'
                 AND query ILIKE '%%INSERT INTO alarms%%'""",
        )
    )


def _terminate_waiting_writers(db_url: str) -> None:
    """The killed process's server sessions: end them, as the server would on its own
    once it noticed the client was gone."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'
                 AND query ILIKE '%INSERT INTO alarms%'"""
        )


def _onset_ms(db_url: str, elevator_id: int) -> int:
    opened: datetime = scalar(db_url, ONSET, (elevator_id,))
    return round(opened.timestamp() * 1000)


def _one_case(db_url: str, elevator_id: int) -> None:
    """The dispatcher turns the alarm into one case, and only one."""
    service = DispatchService(db_url, DispatchSettings(poll_interval_s=0.2))
    service.start()
    try:
        wait_for(lambda: scalar(db_url, CASES, (elevator_id,)) >= 1, 30, "a rescue case")
        time.sleep(1.0)  # three more polls: a second case would be opened now
        assert scalar(db_url, CASES, (elevator_id,)) == 1
    finally:
        service.stop()


def test_kill_9_between_ack_and_alarm_write_raises_the_alarm_once_on_restart(
    fresh_database_url: str, mqtt_url: str, topic_root: str
) -> None:
    db = fresh_database_url
    target = _seed(db)
    ingest = IngestProcess(db, mqtt_url, topic_root, f"ingest-{uuid.uuid4().hex[:8]}")
    ingest.env["LIFTWATCH_DETECTION__ENTRAPMENT_S"] = str(T_S)
    terminal = Terminal(mqtt_url, topic_root, target)
    try:
        ingest.start()
        terminal.board(db, target.id)
        with _alarms_locked(db):
            start = terminal.trap(db, target.id)
            # the car keeps reporting while stuck; the alarm is due at start + T
            while now_ms() < start + T_S * 1000 + 1_000:
                terminal.send(now_ms(), **TRAPPED)
                time.sleep(0.5)
            wait_for(lambda: _writers_waiting(db) > 0, 20, "the alarm writer to be blocked")
            acknowledged = _stored(db, target.id)
            ingest.kill()
            _terminate_waiting_writers(db)
        assert acknowledged >= 3, "the samples were committed (and acknowledged)"
        assert scalar(db, ENTRAPMENTS, (target.id,)) == 0, "the kill came before the alarm"

        # The terminal has gone quiet: only the stored telemetry can raise the alarm.
        ingest.start()
        wait_for(lambda: scalar(db, ENTRAPMENTS, (target.id,)) == 1, 30, "the replayed alarm")
        assert _onset_ms(db, target.id) == start + int(T_S * 1000)

        # Another restart replays the same telemetry and raises nothing new.
        assert ingest.terminate() == 0
        ingest.start()
        wait_for(lambda: ingest.logged("detectors restored"), 30, "the replay")
        time.sleep(1.0)
        assert scalar(db, ENTRAPMENTS, (target.id,)) == 1
        assert (
            scalar(db, "SELECT sum(occurrences) FROM alarms WHERE elevator_id = %s", (target.id,))
            == 1
        )
        _one_case(db, target.id)
    finally:
        ingest.stop()
        terminal.close()


def test_database_outage_of_20_s_during_an_entrapment_gives_one_alarm_and_one_case(
    fresh_database_url: str, mqtt_url: str, topic_root: str
) -> None:
    db = fresh_database_url
    target = _seed(db)
    proxy = TcpProxy(db)
    via_proxy = _via(db, proxy.port)
    stage = DetectStage(DetectionSettings(entrapment_s=T_S), via_proxy, None, tick_s=0.1)
    ingest = IngestService(
        IngestSettings(client_id=f"ingest-{uuid.uuid4().hex[:8]}", metrics_port=0, retry_max_s=1.0),
        via_proxy, mqtt_url, topic_root, consumers=[stage],
    )  # fmt: skip
    terminal = Terminal(mqtt_url, topic_root, target)
    stage.start()
    ingest.start()
    try:
        assert ingest.ready.wait(30)
        assert ingest.receiver.connected.wait(30)
        time.sleep(0.3)  # the subscription is made on connect
        terminal.board(db, target.id)
        start = terminal.trap(db, target.id)
        proxy.cut()
        outage_ends = time.monotonic() + 20
        while time.monotonic() < outage_ends:  # T passes during the outage
            terminal.send(now_ms(), **TRAPPED)
            time.sleep(1.0)
        assert scalar(db, ENTRAPMENTS, (target.id,)) == 0
        assert stage.counts["errors"] > 0, "the writer met the outage"
        proxy.restore()
        wait_for(lambda: scalar(db, ENTRAPMENTS, (target.id,)) == 1, 60, "the alarm after recovery")
        assert _onset_ms(db, target.id) == start + int(T_S * 1000)
        _one_case(db, target.id)
        assert scalar(db, ENTRAPMENTS, (target.id,)) == 1
        assert stage.counts["raised"] == 1
        checkpoint = scalar(db, "SELECT fired_to FROM detector_checkpoints WHERE name = 'ingest'")
        assert checkpoint > datetime.now(UTC) - timedelta(seconds=30), "the checkpoint moves on"
    finally:
        ingest.stop()
        stage.stop()
        terminal.close()
        proxy.cut()
