"""Fleet storage round trip on real PostgreSQL; a short publish run on a real broker."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date

import msgspec
import paho.mqtt.client as mqtt
import psycopg
import pytest
from msgspec.structs import replace

from domain.telemetry import OnlineMessage, parse_topic
from fleet.repository import fleet_size, load_fleet, save_fleet
from messaging.client import connect, new_client
from simulators.fleet import generate_fleet
from simulators.publisher import ScenarioPublisher, clock_start_ms
from simulators.scenario import ScenarioConfig, message_stream

pytestmark = pytest.mark.integration


def test_save_and_load_fleet_round_trip(fresh_database_url: str) -> None:
    fleet = generate_fleet(1500, 21, date(2026, 1, 1))
    with psycopg.connect(fresh_database_url) as conn:
        assert fleet_size(conn) == 0
        save_fleet(conn, fleet)
        assert fleet_size(conn) == 1500
        assert load_fleet(conn) == fleet
        save_fleet(conn, fleet)  # re-seeding is idempotent
        assert load_fleet(conn) == fleet
        # A live rescuer position survives a re-seed; changed records are updated.
        conn.execute("UPDATE rescuers SET lon = 113.0, lat = 23.0 WHERE id = 1")
        moved = replace(fleet.elevators[0], address="1 Test Rd")
        save_fleet(conn, replace(fleet, elevators=[moved, *fleet.elevators[1:]]))
        row = conn.execute("SELECT lon, lat FROM rescuers WHERE id = 1").fetchone()
        assert row == (113.0, 23.0)
        assert load_fleet(conn).elevators[0].address == "1 Test Rd"
        n = conn.execute("SELECT count(*) FROM sim_elevator_condition").fetchone()
        assert n == (1500,)


def test_publish_run_reaches_a_subscriber(mqtt_url: str, topic_root: str) -> None:
    fleet = generate_fleet(4, 5, date(2026, 1, 1))
    duration = 600.0
    cfg = ScenarioConfig(
        seed=2,
        start_ms=clock_start_ms(duration, 300.0),
        duration_s=duration,
        evaluation=True,
        eval_per_day=300.0,
        kinds=frozenset({"alarm_button", "door_open_while_running", "presence_flicker"}),
    )
    expected = list(message_stream(fleet, cfg))
    got: list[tuple[str, str, bytes]] = []
    online: dict[str, bool] = {}
    subscribed = threading.Event()
    sub = new_client(mqtt_url, f"simtest-{uuid.uuid4().hex[:8]}")

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        parsed = parse_topic(msg.topic, topic_root)
        if parsed is None:
            return
        terminal, kind = parsed
        if kind == "online":
            online[terminal] = msgspec.json.decode(msg.payload, type=OnlineMessage).online
        else:
            got.append((terminal, kind, bytes(msg.payload)))

    sub.on_message = on_message
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_connect = lambda c, *a: c.subscribe(f"{topic_root}/#", qos=1)
    connect(sub, mqtt_url)
    sub.loop_start()
    try:
        assert subscribed.wait(60)
        pub = ScenarioPublisher(mqtt_url, fleet, cfg, speed=300.0, topic_root=topic_root)
        stats = pub.run()
        deadline = time.monotonic() + 60
        offline = {e.terminal_id: False for e in fleet.elevators}
        while (len(got) < len(expected) or online != offline) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sub.disconnect()
        sub.loop_stop()
    assert stats.published == len(expected) > 100
    assert stats.events > 0
    # QoS 1, one publisher connection: every message arrives, in publication order.
    assert got == expected
    assert online == {e.terminal_id: False for e in fleet.elevators}
