"""Live detection: 2,000 elevators publishing through the real broker into a real
IngestService with the detect stage; an injected entrapment must produce an alarm in the
database and on its maintenance company's MQTT topic, opened at exactly T after the event
time at which the entrapment began. The wall-clock delay is printed, not asserted (the
test must pass on a loaded machine; the T + 2 s latency is measured in bench/).

T is shortened to 5 s here to keep the test fast (the rule is the same at 30 s). The
simulator has no MQTT publisher yet, so the test publishes the terminals' status
messages itself with paho, in the wire contract.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import msgspec
import paho.mqtt.client as mqtt
import psycopg
import pytest

from analytics.config import DetectionSettings
from domain.codes import DoorState
from domain.telemetry import status_topic
from fleet.repository import save_fleet
from ingest.detect_stage import alarm_topic
from messaging.client import connect, new_client
from simulators.fleet import generate_fleet
from simulators.wire import parked_status
from tests.integration.test_ingest_support import live_pipeline

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T_S = 5.0
WAIT_S = 120.0
ELEVATORS = 2000


def _mine(
    received: list[tuple[float, dict[str, Any]]], elevator_id: int
) -> list[tuple[float, dict[str, Any]]]:
    return [(at, p) for at, p in list(received) if p["elevator_id"] == elevator_id]


def test_entrapment_alarm_in_database_and_on_company_topic(
    fresh_database_url: str, mqtt_url: str, topic_root: str
) -> None:
    fleet = generate_fleet(ELEVATORS, seed=11)
    with psycopg.connect(fresh_database_url) as conn:
        save_fleet(conn, fleet)
    target = fleet.elevators[7]
    notify_root = f"lwtest-notify/{uuid.uuid4().hex[:8]}/v1"
    settings = DetectionSettings(entrapment_s=T_S, notify_root=notify_root)

    received: list[tuple[float, dict[str, Any]]] = []
    sub_ready = threading.Event()
    sub = new_client(mqtt_url, f"lwtest-sub-{uuid.uuid4().hex[:8]}")

    def on_connect(c: mqtt.Client, *_: Any) -> None:
        c.subscribe(alarm_topic(notify_root, target.company_id), qos=1)

    sub.on_connect = on_connect
    sub.on_subscribe = lambda *_: sub_ready.set()
    sub.on_message = lambda c, u, m: received.append((time.time(), msgspec.json.decode(m.payload)))
    connect(sub, mqtt_url)
    sub.loop_start()

    try:
        with live_pipeline(fresh_database_url, mqtt_url, topic_root, settings) as live:
            terminals = live.terminals
            assert sub_ready.wait(60)
            seq = {e.id: 1 for e in fleet.elevators}

            def publish(e_id: int, terminal: str, ts: int, **kw: Any) -> None:
                seq[e_id] += 1
                terminals.publish(
                    status_topic(terminal, topic_root), parked_status(seq[e_id], ts, **kw), 1
                )

            # every terminal reports; the target boards a passenger, then is stuck between floors
            now = int(time.time() * 1000)
            for e in fleet.elevators:
                publish(e.id, e.terminal_id, now)
            publish(target.id, target.terminal_id, now + 1, door=DoorState.OPEN, passenger=True)
            time.sleep(1.0)
            start_ms = int(time.time() * 1000)  # the entrapment's start (event time)
            trapped = dict(passenger=True, door_zone=False, floor=5)
            publish(target.id, target.terminal_id, start_ms, **trapped)
            deadline = time.monotonic() + T_S + WAIT_S  # generous: the machine may be loaded
            found_db: float | None = None
            tick = 0

            def done() -> bool:
                return found_db is not None and bool(_mine(received, target.id))

            while time.monotonic() < deadline and not done():
                tick += 1
                ts = int(time.time() * 1000)
                publish(target.id, target.terminal_id, ts, **trapped)
                if tick % 5 == 0:  # the rest of the fleet keeps reporting (every ~2.5 s)
                    for e in fleet.elevators:
                        if e.id != target.id:
                            publish(e.id, e.terminal_id, ts)
                if found_db is None:
                    with psycopg.connect(fresh_database_url) as conn:
                        row = conn.execute(
                            "SELECT opened_at, detail FROM alarms WHERE elevator_id = %s"
                            " AND type = 'entrapment'",
                            (target.id,),
                        ).fetchone()
                    if row is not None:
                        found_db = time.time()
                        opened_ms = int(row[0].timestamp() * 1000)
                        assert opened_ms == start_ms + int(T_S * 1000)
                        assert (row[1]["where"], row[1]["floor"]) == ("between_floors", 5)
                        assert row[1]["evidence"][-1] == "outside_door_zone"
                time.sleep(0.5)
            assert found_db is not None, "no entrapment alarm in the database"
            db_delay = found_db - start_ms / 1000
            mine = _mine(received, target.id)
            assert mine, "no alarm on the company's MQTT topic"
            at, payload = mine[0]
            mqtt_delay = at - start_ms / 1000
            print(f"entrapment alarm: database {db_delay:.2f} s, MQTT {mqtt_delay:.2f} s after")
            assert payload["type"] == "entrapment"
            assert payload["state"] == "open"
            assert payload["elevator_code"] == target.code
            assert payload["detail"]["where"] == "between_floors"
            # no other elevator raised anything but offline/none
            with psycopg.connect(fresh_database_url) as conn:
                others = conn.execute(
                    "SELECT count(*) FROM alarms WHERE elevator_id <> %s AND type = 'entrapment'",
                    (target.id,),
                ).fetchone()
            assert others == (0,)
    finally:
        sub.loop_stop()
        sub.disconnect()
