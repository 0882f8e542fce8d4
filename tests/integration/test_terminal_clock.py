"""A terminal whose clock is minutes behind (a lost real-time clock, no time sync) among
terminals whose clocks are right, through the real broker, ingest and the detect stage:
its car stopping normally raises nothing, and its trapped passenger is raised T after
the stop, not at once. T is 5 s here (the rule is the same at 30 s)."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from analytics.config import DetectionSettings
from domain.codes import CarStatus, DoorState
from domain.telemetry import status_topic
from fleet.repository import save_fleet
from simulators.fleet import generate_fleet
from simulators.wire import parked_status
from tests.integration.test_ingest_support import live_pipeline, scalar, wait_for

pytestmark = [pytest.mark.integration]

T_S = 5.0
BEHIND_MS = 240_000
ENTRAPMENTS = "SELECT count(*) FROM alarms WHERE elevator_id = %s AND type = 'entrapment'"


def now_ms() -> int:
    return int(time.time() * 1000)


def test_a_terminal_minutes_behind_is_judged_on_its_own_clock(
    fresh_database_url: str, mqtt_url: str, topic_root: str
) -> None:
    db = fresh_database_url
    fleet = generate_fleet(20, seed=5)
    with psycopg.connect(db) as conn:
        save_fleet(conn, fleet)
    late = fleet.elevators[3]
    others = [e for e in fleet.elevators if e.id != late.id]
    seq = {e.id: 1 for e in fleet.elevators}
    lock = threading.Lock()

    def publish(elevator: Any, ts: int, **fields: Any) -> None:
        with lock:
            seq[elevator.id] += 1
            body = parked_status(seq[elevator.id], ts, **fields)
        terminals.publish(status_topic(elevator.terminal_id, topic_root), body, 1)

    stop = threading.Event()

    def the_rest_of_the_fleet() -> None:  # right clocks, reporting every 0.5 s
        while not stop.wait(0.5):
            for e in others:
                publish(e, now_ms())

    background = threading.Thread(target=the_rest_of_the_fleet, daemon=True)
    settings = DetectionSettings(entrapment_s=T_S)
    with live_pipeline(db, mqtt_url, topic_root, settings) as live:
        terminals = live.terminals
        background.start()
        try:
            # a passenger boards at a landing, the doors close, and open 3 s later
            publish(late, now_ms() - BEHIND_MS, door=DoorState.OPEN, passenger=True)
            time.sleep(0.5)
            publish(late, now_ms() - BEHIND_MS, passenger=True)
            time.sleep(3.0)
            publish(late, now_ms() - BEHIND_MS, door=DoorState.OPENING, passenger=True)
            stored = "SELECT count(*) FROM telemetry WHERE elevator_id = %s"
            wait_for(lambda: scalar(db, stored, (late.id,)) == 3, 20, "the late one's samples")
            time.sleep(T_S + 3.0)
            assert scalar(db, ENTRAPMENTS, (late.id,)) == 0
            # now it runs and stops between floors with the passenger: the doors stay closed
            publish(late, now_ms() - BEHIND_MS, door=DoorState.CLOSED, passenger=True)
            time.sleep(0.5)
            publish(late, now_ms() - BEHIND_MS, car=CarStatus.RUNNING, passenger=True)
            time.sleep(0.5)
            stopped = now_ms()
            publish(late, stopped - BEHIND_MS, passenger=True, door_zone=False, floor=2)
            raised_after: float | None = None
            while raised_after is None and now_ms() - stopped < 60_000:
                time.sleep(0.5)
                publish(late, now_ms() - BEHIND_MS, passenger=True, door_zone=False, floor=2)
                if scalar(db, ENTRAPMENTS, (late.id,)):
                    raised_after = (now_ms() - stopped) / 1000
            assert raised_after is not None, "the trapped passenger was not raised"
            assert raised_after >= T_S - 0.5, f"raised {raised_after:.1f} s after the stop"
            opened = scalar(db, "SELECT opened_at FROM alarms WHERE elevator_id = %s"
                                " AND type = 'entrapment'", (late.id,))  # fmt: skip
            assert int(opened.timestamp() * 1000) == stopped - BEHIND_MS + int(T_S * 1000)
        finally:
            stop.set()
            background.join(timeout=5)
