"""Ingest on real PostgreSQL and a real broker: bad input dead-lettered by reason, the
command-line client, late data by event time, presence alarms, new elevators."""

from __future__ import annotations

import random
import shutil
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import msgspec
import psycopg
import pytest

from domain.validation import DeadLetterReason
from ingest.config import IngestSettings
from ingest.repository.sensor_health import save_sensor_health
from ingest.seed import seed_elevators
from ingest.service import IngestService
from messaging.client import MqttEndpoint
from tests.fixtures.services import require
from tests.integration.test_ingest_support import (
    RawPublisher,
    now_ms,
    scalar,
    status_payload,
    wait_for,
)

pytestmark = pytest.mark.integration
R = DeadLetterReason


@pytest.fixture
def terminals(fresh_database_url: str) -> list[str]:
    with psycopg.connect(fresh_database_url) as conn:
        return seed_elevators(conn, 50, floors=20, lowest_floor=-2, report_interval_s=1.0)


def _service(db: str, mqtt_url: str, root: str, **kw: object) -> IngestService:
    settings = IngestSettings(
        client_id=f"ingest-{uuid.uuid4().hex[:8]}", metrics_port=0, max_payload_bytes=1024,
        registry_refresh_s=0.5, **kw,
    )  # fmt: skip
    return IngestService(settings, db, mqtt_url, topic_root=root)


@pytest.fixture
def ingest(
    fresh_database_url: str, mqtt_url: str, topic_root: str, terminals: list[str]
) -> Iterator[IngestService]:
    service = _service(
        fresh_database_url, mqtt_url, topic_root, heartbeat_intervals=3.0,
        dead_letter_payload_bytes=512,
    )  # fmt: skip
    service.start()
    assert service.ready.wait(60)
    assert service.receiver.subscribed.wait(60)
    yield service
    service.stop()


def _bad_messages(root: str, terminals: list[str], ts: int) -> list[tuple[str, bytes, R]]:
    t = terminals[0]
    s = f"{root}/{t}/status"
    body = status_payload(1, ts).decode()
    return [
        (s, b"{not json", R.MALFORMED_JSON),
        (s, body.replace('"floor":1', '"floor":"one"').encode(), R.WRONG_TYPE),
        (s, b'{"v":1,"seq":1,"ts":%d}' % ts, R.MISSING_FIELD),
        (f"{root}/nobody/status", status_payload(1, ts), R.UNKNOWN_ELEVATOR),
        (s, status_payload(1, ts, floor=21), R.OUT_OF_RANGE),
        (s, status_payload(1, ts, speed=25.0), R.OUT_OF_RANGE),
        (s, body.replace('"speed":0.0', '"speed":NaN').encode(), R.NOT_FINITE),
        (s, body.replace('"speed":0.0', '"speed":1e999').encode(), R.NOT_FINITE),
        (s, status_payload(1, ts + 3_600_000), R.FUTURE_TIMESTAMP),
        (s, status_payload(1, ts - 30 * 86_400_000), R.PAST_TIMESTAMP),
        (s, status_payload(1, ts, detail="x" * 2000), R.OVERSIZED),
        (f"{root}/{t}/status/extra", status_payload(1, ts), R.BAD_TOPIC),
        (f"{root}/{t}/telemetry", status_payload(1, ts), R.BAD_TOPIC),
        (s, status_payload(1, ts, v=2), R.UNSUPPORTED_VERSION),
        (f"{root}/{t}/event", b'{"v":1,"seq":1,"ts":%d,"code":12}' % ts, R.UNKNOWN_CODE),
    ]


def test_mixed_malformed_payloads_are_dead_lettered_and_valid_ones_stored(
    ingest: IngestService, fresh_database_url: str, topic_root: str, terminals: list[str]
) -> None:
    ts = now_ms() - 1_000
    kinds = _bad_messages(topic_root, terminals, ts)
    rng = random.Random(7)
    messages: list[tuple[str, bytes]] = []
    expected: Counter[str] = Counter()
    valid = 0
    for i in range(10_000):
        topic, payload, reason = kinds[i % len(kinds)]
        messages.append((topic, payload))
        expected[reason.value] += 1
        if rng.random() < 0.5:  # interleave valid ones
            terminal = terminals[valid % len(terminals)]
            seq = 1_000 + valid
            messages.append((f"{topic_root}/{terminal}/status", status_payload(seq, ts + valid)))
            valid += 1
    publisher = RawPublisher(ingest.receiver.url)
    publisher.publish_many(messages)
    total = 10_000 + valid
    db = fresh_database_url
    wait_for(
        lambda: scalar(db, "SELECT count(*) FROM dead_letters") + scalar(
            db, "SELECT count(*) FROM telemetry"
        ) >= total,
        60, "every message stored or dead-lettered", 0.5,
    )  # fmt: skip
    with psycopg.connect(db) as conn:
        got: dict[str, int] = dict(
            conn.execute("SELECT reason, count(*) FROM dead_letters GROUP BY 1").fetchall()
        )
        sizes = conn.execute(
            "SELECT max(length(payload)), max(payload_size) FROM dead_letters"
            " WHERE reason = 'oversized'"
        ).fetchone()
    assert got == dict(expected)
    assert scalar(db, "SELECT count(*) FROM telemetry") == valid
    assert sizes is not None
    assert sizes[1] > 1024
    assert sizes[0] == 512
    assert (
        ingest.metrics.dead_letters.labels("malformed_json")._value.get()
        == expected["malformed_json"]
    )
    # Still alive and ingesting.
    publisher.publish(f"{topic_root}/{terminals[1]}/status", status_payload(999_999, ts))
    publisher.close()
    wait_for(lambda: scalar(db, "SELECT count(*) FROM telemetry") == valid + 1, 20, "one more")
    assert not ingest.failed


def test_mosquitto_pub_messages_are_ingested(
    ingest: IngestService, fresh_database_url: str, topic_root: str, terminals: list[str]
) -> None:
    binary = shutil.which("mosquitto_pub")
    require(
        binary is not None, "mosquitto_pub is not installed (apt-get install mosquitto-clients)"
    )
    assert binary is not None
    ep = MqttEndpoint.parse(ingest.receiver.url)
    ts = now_ms()
    for seq in (1, 2):
        subprocess.run(
            [binary, "-h", ep.host, "-p", str(ep.port), "-q", "1", "-t",
             f"{topic_root}/{terminals[3]}/status", "-m", status_payload(seq, ts + seq).decode()],
            check=True, timeout=20,
        )  # fmt: skip
    subprocess.run(
        [binary, "-h", ep.host, "-p", str(ep.port), "-q", "1", "-t",
         f"{topic_root}/{terminals[3]}/event", "-m", f'{{"v":1,"seq":3,"ts":{ts},"code":11}}'],
        check=True, timeout=20,
    )  # fmt: skip
    db = fresh_database_url
    wait_for(lambda: scalar(db, "SELECT count(*) FROM terminal_events") == 1, 20, "the event")
    wait_for(lambda: scalar(db, "SELECT count(*) FROM telemetry") == 2, 20, "the statuses")
    assert scalar(db, "SELECT code FROM terminal_events") == 11


def test_late_and_out_of_order_samples_keep_the_newest_as_current_status(
    ingest: IngestService, fresh_database_url: str, topic_root: str, terminals: list[str]
) -> None:
    db = fresh_database_url
    topic = f"{topic_root}/{terminals[5]}/status"
    t0 = now_ms() - 600_000
    publisher = RawPublisher(ingest.receiver.url)
    publisher.publish(topic, status_payload(30, t0 + 30_000, floor=7))
    wait_for(lambda: scalar(db, "SELECT count(*) FROM telemetry") == 1, 20, "the newest")
    publisher.publish(topic, status_payload(10, t0 + 10_000, floor=3))  # late, older
    publisher.publish(topic, status_payload(20, t0 + 20_000, floor=5))
    publisher.publish(topic, status_payload(10, t0 + 10_000, floor=3))  # a redelivery
    wait_for(lambda: scalar(db, "SELECT count(*) FROM telemetry") == 3, 20, "the late ones")
    time.sleep(0.5)
    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT seq, floor FROM elevator_status").fetchone()
        order = conn.execute("SELECT seq FROM telemetry ORDER BY ts").fetchall()
    assert row == (30, 7)
    assert [r[0] for r in order] == [10, 20, 30]
    publisher.publish(topic, status_payload(40, t0 + 40_000, floor=9))
    wait_for(lambda: scalar(db, "SELECT seq FROM elevator_status") == 40, 20, "a newer status")
    publisher.close()


def _alarm_state(db: str, elevator_id: int) -> str | None:
    return scalar(  # type: ignore[no-any-return]
        db,
        "SELECT state FROM alarms WHERE elevator_id = %s AND type = 'terminal_offline'"
        " ORDER BY id DESC LIMIT 1",
        (elevator_id,),
    )


def test_presence_from_last_will_and_heartbeat_raises_and_clears_offline_alarm(
    ingest: IngestService, fresh_database_url: str, topic_root: str, terminals: list[str]
) -> None:
    db = fresh_database_url
    publisher = RawPublisher(ingest.receiver.url)
    ts = now_ms()
    # Heartbeat: elevator 1 reports every 1 s; timeout = 3 intervals.
    publisher.publish(f"{topic_root}/{terminals[0]}/status", status_payload(1, ts))
    wait_for(lambda: scalar(db, "SELECT count(*) FROM elevator_status") == 1, 20, "a status")
    wait_for(lambda: _alarm_state(db, 1) == "open", 20, "the heartbeat timeout alarm")
    assert scalar(db, "SELECT online FROM elevator_status WHERE elevator_id = 1") is False
    publisher.publish(f"{topic_root}/{terminals[0]}/status", status_payload(2, now_ms()))
    wait_for(lambda: _alarm_state(db, 1) == "resolved", 20, "the alarm to clear")
    assert scalar(db, "SELECT online FROM elevator_status WHERE elevator_id = 1") is True
    # Retained online topic: the last will says offline, the terminal says online again.
    online = f"{topic_root}/{terminals[1]}/online"
    publisher.publish(online, b'{"v":1,"online":false}', retain=True)
    wait_for(lambda: _alarm_state(db, 2) == "open", 20, "the last-will alarm")
    publisher.publish(online, b'{"v":1,"online":true}', retain=True)
    wait_for(lambda: _alarm_state(db, 2) == "resolved", 20, "the alarm to clear")
    publisher.publish(online, b"", retain=True)  # clear the retained message
    publisher.close()
    assert ingest.metrics.presence.labels("offline")._value.get() >= 2


def test_a_report_interval_learned_before_a_restart_keeps_a_slow_terminal_online(
    fresh_database_url: str, mqtt_url: str, topic_root: str, terminals: list[str]
) -> None:
    """Elevator 1 was learned (saved by the detectors' sensor health) to report every 20 s
    although registered at 1 s; elevator 2 has nothing saved. After ingest starts, both
    report once and go quiet for 8 s: only elevator 2 (timeout 3 x 1 s) is offline."""
    db = fresh_database_url
    learned = {"to_ms": now_ms(), "gap_n": 60.0, "gap_mean_ms": 20_000.0}
    with psycopg.connect(db, autocommit=True) as conn:
        assert save_sensor_health(conn, {1: learned, 2: {"to_ms": now_ms()}}) == 2
        # saved values no float holds, or not numbers, are left out (and start goes on)
        for eid, health in ((3, '{"gap_n": 1e400, "gap_mean_ms": 5000}'),
                            (4, '{"gap_n": "many", "gap_mean_ms": 5000}')):  # fmt: skip
            conn.execute(
                "INSERT INTO sensor_health (elevator_id, health, updated_at)"
                " VALUES (%s, %s::jsonb, now())",
                (eid, health),
            )
    service = _service(db, mqtt_url, topic_root, heartbeat_intervals=3.0)
    service.start()
    try:
        assert service.ready.wait(60)
        assert service.receiver.subscribed.wait(60)
        first, second = service.registry.index_of(1), service.registry.index_of(2)
        assert service.presence.timeout_ms[first] == 60_000
        assert service.presence.timeout_ms[second] == 3_000
        for corrupt in (3, 4):
            assert service.presence.timeout_ms[service.registry.index_of(corrupt)] == 3_000
        publisher = RawPublisher(service.receiver.url)
        for terminal in terminals[:2]:
            publisher.publish(f"{topic_root}/{terminal}/status", status_payload(1, now_ms()))
        wait_for(lambda: _alarm_state(db, 2) == "open", 20, "the unlearned terminal offline")
        time.sleep(8.0)
        assert _alarm_state(db, 1) is None
        assert scalar(db, "SELECT online FROM elevator_status WHERE elevator_id = 1") is True
        publisher.close()
    finally:
        service.stop()


def test_a_newly_registered_elevator_is_ingested(
    ingest: IngestService, fresh_database_url: str, topic_root: str
) -> None:
    db = fresh_database_url
    publisher = RawPublisher(ingest.receiver.url)
    topic = f"{topic_root}/N1000/status"
    publisher.publish(topic, status_payload(1, now_ms()))
    wait_for(lambda: scalar(db, "SELECT count(*) FROM dead_letters") == 1, 20, "a dead letter")
    assert scalar(db, "SELECT reason FROM dead_letters") == "unknown_elevator"
    with psycopg.connect(db) as conn:
        seed_elevators(conn, 1, prefix="N", first_id=1000)
    time.sleep(0.6)  # the registry reload is rate-limited (0.5 s here)
    publisher.publish(topic, status_payload(2, now_ms()))
    wait_for(lambda: scalar(db, "SELECT count(*) FROM telemetry") == 1, 20, "the new elevator")
    assert scalar(db, "SELECT elevator_id FROM telemetry") == 1000
    publisher.close()


@pytest.mark.parametrize("count", [10, 300])  # one by one, and set-based
def test_presence_changes_write_alarms_and_live_events_alike_one_by_one_or_in_bulk(
    fresh_database_url: str, count: int
) -> None:
    from ingest.batch import PresenceChange
    from ingest.decode import Decoded
    from ingest.store import BatchWriter
    from storage.events import CHANNEL

    db = fresh_database_url
    with psycopg.connect(db) as conn:
        seed_elevators(conn, count)
    listener = psycopg.connect(db, autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")
    writer = BatchWriter(psycopg.connect(db))
    at = now_ms()
    ids = list(range(1, count + 1))
    writer.write(Decoded(), [PresenceChange(e, False, at) for e in ids])
    writer.write(Decoded(), [PresenceChange(e, False, at + 1000) for e in ids])  # again
    active = (
        "SELECT count(*), sum(occurrences) FROM alarms WHERE type = 'terminal_offline'"
        " AND state = 'open'"
    )
    with psycopg.connect(db) as conn:
        assert conn.execute(active).fetchone() == (count, 2 * count)
    writer.write(Decoded(), [PresenceChange(e, True, at + 2000) for e in ids])
    resolved = "SELECT count(*) FROM alarms WHERE state = 'resolved' AND resolved_at IS NOT NULL"
    assert scalar(db, resolved) == count
    events = [
        msgspec.json.decode(n.payload) for n in listener.notifies(timeout=60, stop_after=5 * count)
    ]
    alarms = Counter(e["state"] for e in events if e["kind"] == "alarm")
    assert alarms == {"open": count, "resolved": count}
    assert sum(1 for e in events if e["kind"] == "status") == 3 * count
    writer.conn.close()
    listener.close()
