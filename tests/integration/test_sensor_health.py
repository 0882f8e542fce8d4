"""The detectors' learned sensor health survives a restart and a hand-over: saved in
``sensor_health``, loaded before the replay. Real PostgreSQL, mosquitto, `liftwatch ingest`.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import psycopg
import pytest

from analytics.config import DetectionSettings
from analytics.detectors.health import SensorHealth
from analytics.detectors.rules import rules_from_settings
from domain.fleet import Elevator
from domain.telemetry import status_topic
from fleet.repository import save_fleet
from ingest.config import RecoverySettings
from ingest.detect_stage import DetectStage
from ingest.repository.sensor_health import fetch_sensor_health, save_sensor_health
from simulators.fleet import generate_fleet
from tests.integration.test_ingest_support import (
    IngestProcess,
    RawPublisher,
    now_ms,
    scalar,
    status_payload,
    wait_for,
)

pytestmark = [pytest.mark.integration]

T_S = 5.0
# entrapments since a time (ms): the history may raise one while it is learned (a stuck
# sensor's first samples, before they show it never goes off, arrive in small batches)
ENTRAPMENTS = (
    "SELECT count(*) FROM alarms WHERE elevator_id = %s AND type = 'entrapment'"
    " AND opened_at >= to_timestamp(%s / 1000.0)"
)
ONSET = (
    "SELECT max(opened_at) FROM alarms WHERE elevator_id = %s AND type = 'entrapment'"
    " AND opened_at >= to_timestamp(%s / 1000.0)"
)
CHECKPOINT = "SELECT fired_to FROM detector_checkpoints WHERE name = 'ingest'"
HR = rules_from_settings(DetectionSettings()).health
STORED = "SELECT count(*) FROM telemetry WHERE elevator_id = %s"


def _seed(db_url: str) -> list[Elevator]:
    fleet = generate_fleet(20, seed=3)
    with psycopg.connect(db_url) as conn:
        save_fleet(conn, fleet)
    return fleet.elevators


def _stuck(snapshot: dict[str, Any]) -> bool:
    return SensorHealth.from_snapshot(snapshot).presence(HR) == "stuck_on"


def _snapshot(to_ms: int, closed: float = 300.0) -> dict[str, Any]:
    health = SensorHealth()
    health.all_n = health.all_presence = health.closed_n = health.closed_presence = closed
    return {**health.snapshot(), "to_ms": to_ms}


class Terminal:
    def __init__(self, mqtt_url: str, topic_root: str, elevator: Elevator) -> None:
        self.publisher = RawPublisher(mqtt_url)
        self.topic = status_topic(elevator.terminal_id, topic_root)
        self.seq = itertools.count(1)

    def send(self, ts: int, **kw: Any) -> None:
        floor = int(kw.pop("floor", 3))
        self.publisher.publish(self.topic, status_payload(next(self.seq), ts, floor, **kw))

    def close(self) -> None:
        self.publisher.close()


def test_saved_health_is_upserted_in_batches_and_a_newer_one_is_kept(
    fresh_database_url: str,
) -> None:
    db = fresh_database_url
    elevators = _seed(db)
    a, b = elevators[0].id, elevators[1].id
    with psycopg.connect(db, autocommit=True) as conn:
        assert save_sensor_health(conn, {a: _snapshot(1_000), b: _snapshot(1_000)}) == 2
        # a newer one replaces; an older one (another runner's stale copy) does not;
        # an elevator no longer registered is skipped
        newer, older = _snapshot(2_000, 400.0), _snapshot(500, 100.0)
        assert save_sensor_health(conn, {a: newer, b: older, 999_999: newer}) == 1
        saved = fetch_sensor_health(conn, [a, b, 999_999])
        # a saved time no float holds (a corrupt row) neither fails the save nor is read
        # as older; the other elevators are saved
        c, d = elevators[2].id, elevators[3].id
        conn.execute(
            "INSERT INTO sensor_health (elevator_id, health, updated_at)"
            " VALUES (%s, '{\"to_ms\": 1e400}'::jsonb, now())",
            (c,),
        )
        assert save_sensor_health(conn, {c: newer, d: newer}) == 1
    assert set(saved) == {a, b}
    assert saved[a] == newer
    assert saved[b]["to_ms"] == 1_000
    assert saved[b]["closed_n"] == 300.0
    assert (
        SensorHealth.from_snapshot(saved[a]).snapshot()
        == SensorHealth.from_snapshot(newer).snapshot()
    )


def test_a_handed_over_elevator_keeps_its_health_with_the_next_owner(
    fresh_database_url: str,
) -> None:
    """A detector worker releasing a partition saves its elevators' health (writer
    thread); the worker taking it over loads it before its replay."""
    db = fresh_database_url
    elevator = _seed(db)[5].id
    recovery = RecoverySettings(health_save_every_s=3_600)
    first = DetectStage(DetectionSettings(), db, recovery=recovery, tick_s=0.1)
    first.start(recover=False)
    second = DetectStage(DetectionSettings(), db, recovery=recovery, tick_s=0.1)
    try:
        assert first.fleet.load_health({elevator: _snapshot(now_ms() - 60_000)}) == 1
        first.forget([elevator])
        assert elevator not in first.fleet.detectors
        wait_for(lambda: first.health_counts["saved"] == 1, 30, "the released health saved")
        second.start(recover=False)
        second.restore([elevator], now_ms() - 60_000, now_ms())
        assert second.health_counts["loaded"] == 1
        assert second.fleet.detectors[elevator].presence_trusted is False
        report = second.fleet.health(elevator)
        assert report is not None
        assert report.presence == "stuck_on"
    finally:
        first.stop()
        second.stop()


def test_a_stuck_on_sensor_learned_before_a_restart_raises_no_entrapment_after_it(
    fresh_database_url: str, mqtt_url: str, topic_root: str
) -> None:
    """Two elevators whose presence sensor is stuck on are learned as such, ingest stops
    (saving the health) and starts again with a replay window that no longer holds that
    history. The control's saved health is deleted (a fresh table): after the restart,
    both cars board, run and stop at a landing with doors closed and presence on. The
    control raises an entrapment at T; the target, its health loaded, raises none."""
    db = fresh_database_url
    elevators = _seed(db)
    target, control = elevators[3], elevators[4]
    ingest = IngestProcess(db, mqtt_url, topic_root, f"ingest-{uuid.uuid4().hex[:8]}")
    ingest.env["LIFTWATCH_DETECTION__ENTRAPMENT_S"] = str(T_S)
    ingest.env["LIFTWATCH_INGEST__RECOVERY__HORIZON_S"] = "60"
    ingest.env["LIFTWATCH_INGEST__RECOVERY__MAX_REPLAY_S"] = "60"
    terminals = [Terminal(mqtt_url, topic_root, e) for e in (target, control)]
    try:
        ingest.start()
        # 30 samples of a parked car, 7 to 5 minutes ago, presence never off: stuck on
        start = now_ms() - 420_000
        for i in range(30):
            for terminal in terminals:
                terminal.send(start + 5_000 * i, passenger=True)
        stored = [(target.id,), (control.id,)]
        wait_for(lambda: all(scalar(db, STORED, e) >= 30 for e in stored), 30, "the history")
        assert ingest.terminate() == 0  # a clean stop saves the health
        with psycopg.connect(db, autocommit=True) as conn:
            saved = fetch_sensor_health(conn, [target.id, control.id])
            assert set(saved) == {target.id, control.id}
            assert all(_stuck(s) for s in saved.values())
            conn.execute("DELETE FROM sensor_health WHERE elevator_id = %s", (control.id,))

        ingest.start()
        wait_for(lambda: ingest.logged("detectors restored"), 30, "the replay")
        t = now_ms() - 5_000
        after = (t,)
        trip: list[dict[str, Any]] = [
            {"door": "open", "passenger": True},
            {"door": "closing", "passenger": True},
            {"door": "closed", "passenger": True},
            {"car": "running", "floor": 4, "door_zone": False, "speed": 1.0, "passenger": True},
            {"passenger": True, "floor": 5},  # stopped at the landing, doors closed
        ]
        for i, sample in enumerate(trip):
            for terminal in terminals:
                terminal.send(t + 1_000 * i, **sample)

        def control_trapped() -> bool:
            for terminal in terminals:  # the cars keep reporting, presence on
                terminal.send(now_ms(), passenger=True, floor=5)
            return bool(scalar(db, ENTRAPMENTS, (control.id, *after)) == 1)

        wait_for(control_trapped, 30, "the control's entrapment", every=0.5)
        onset = scalar(db, ONSET, (control.id, *after))
        # every alarm due by the checkpoint is written: the target's would be by now
        wait_for(lambda: scalar(db, CHECKPOINT) > onset, 30, "the checkpoint past T")
        assert scalar(db, ENTRAPMENTS, (target.id, *after)) == 0
        assert ingest.logged('"health": 1')
    finally:
        ingest.stop()
        for terminal in terminals:
            terminal.close()


def test_a_failed_save_is_kept_for_a_retry_and_does_not_stop_the_stage(
    fresh_database_url: str,
) -> None:
    db = fresh_database_url
    elevator = _seed(db)[7].id
    stage = DetectStage(DetectionSettings(), db, recovery=RecoverySettings())
    stage.fleet.load_health({elevator: _snapshot(1_000)})
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("ALTER TABLE sensor_health RENAME TO sensor_health_away")
    try:
        assert stage.save_health() is False
        assert stage.health_counts["save_errors"] == 1
        assert set(stage._health_out) == {elevator}
    finally:
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute("ALTER TABLE sensor_health_away RENAME TO sensor_health")
    assert stage.save_health() is True
    assert stage._health_out == {}
    with psycopg.connect(db, autocommit=True) as conn:
        assert set(fetch_sensor_health(conn, [elevator])) == {elevator}


def test_a_spec_change_restarts_the_rules_but_keeps_the_learned_health(
    fresh_database_url: str,
) -> None:
    db = fresh_database_url
    elevator = _seed(db)[2].id
    stage = DetectStage(DetectionSettings(), db, recovery=RecoverySettings())
    stage._refresh(force=True)
    stage.fleet.load_health({elevator: _snapshot(5_000)})
    before = stage.fleet.detectors[elevator]
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(
            "UPDATE elevators SET rated_speed = rated_speed + 0.5 WHERE id = %s", (elevator,)
        )
    stage._refresh(force=True)
    after = stage.fleet.detectors[elevator]
    assert after is not before  # the rules start again with the new specification
    assert after.spec.rated_speed == pytest.approx(before.spec.rated_speed + 0.5)
    assert after.presence_trusted is False
    assert stage.fleet.health_snapshots([elevator])[elevator] == _snapshot(5_000)
