"""The cluster mode on a real RabbitMQ (scripts/services starts it; CI installs it):
two storers share the terminals' subscription, store and forward each batch to the
detectors' stream before acknowledging it; two detector workers split the partitions,
a worker that stops hands its partitions to the other, and the same worker id coming
back takes its share back.

The workers run in this process (each with its own DetectStage and AMQP connection);
SIGKILLed processes, RabbitMQ node failures and alarm delays are measured by
bench/cluster.py.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from analytics.config import DetectionSettings
from domain.codes import DoorState
from domain.telemetry import status_topic
from fleet.repository import save_fleet
from ingest.cluster.balance import assign
from ingest.cluster.config import ClusterSettings
from ingest.cluster.detector_worker import DetectorWorker
from ingest.cluster.forwarder import StreamForwarder
from ingest.config import IngestSettings
from ingest.detect_stage import DetectStage
from ingest.service import IngestService
from messaging.client import connect, new_client
from simulators.fleet import generate_fleet
from simulators.wire import parked_status
from tests.fixtures.services import require

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 4


@pytest.fixture
def cluster_settings() -> ClusterSettings:
    url = os.environ.get("LIFTWATCH_AMQP_URL", "")
    require(bool(url), "RabbitMQ not configured (scripts/services start sets the URL)")
    name = f"lwtest.{uuid.uuid4().hex[:8]}"
    return ClusterSettings(
        amqp_url=url, exchange=name, queue_prefix=f"{name}.p", members_exchange=f"{name}.m",
        share_group=name.replace(".", "-"), partitions=PARTITIONS, buckets=64,
        heartbeat_s=0.3, member_timeout_s=1.5, restore_window_s=60,
    )  # fmt: skip


class RunningWorker:
    """A detector worker on an event loop of its own thread."""

    def __init__(self, settings: ClusterSettings, db_url: str, worker_id: str) -> None:
        self.stage = DetectStage(DetectionSettings(entrapment_s=5.0), db_url, None, tick_s=0.1)
        self.worker = DetectorWorker(settings, self.stage, db_url, worker_id, trace=True)
        self.loop = asyncio.new_event_loop()
        self.stop_event = asyncio.Event()
        self.stage.start(recover=False)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.worker.run(self.stop_event))

    def partitions(self) -> set[int]:
        return set(self.worker.owned)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)
        self.stage.stop()


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def fleet_db(fresh_database_url: str) -> tuple[str, Any]:
    fleet = generate_fleet(200, seed=5)
    with psycopg.connect(fresh_database_url) as conn:
        save_fleet(conn, fleet)
    return fresh_database_url, fleet


def _count(db_url: str, sql: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_storers_forward_and_workers_share_partitions(
    fleet_db: tuple[str, Any], mqtt_url: str, topic_root: str, cluster_settings: ClusterSettings
) -> None:
    db_url, fleet = fleet_db
    storers = []
    forwarders = []
    for i in range(2):
        forwarder = StreamForwarder(cluster_settings, f"lwtest-storer-{i}")
        storer = IngestService(
            IngestSettings(metrics_port=0, client_id=f"lwtest-storer-{uuid.uuid4().hex[:8]}"),
            db_url, mqtt_url, topic_root, forwarder=forwarder,
            share_group=cluster_settings.share_group,
        )  # fmt: skip
        storer.start()
        storers.append(storer)
        forwarders.append(forwarder)
    workers = [RunningWorker(cluster_settings, db_url, f"w{i}") for i in range(2)]
    terminals = new_client(mqtt_url, f"lwtest-terminals-{uuid.uuid4().hex[:8]}")
    connect(terminals, mqtt_url)
    terminals.loop_start()
    try:
        for storer in storers:
            assert storer.ready.wait(30)
            assert storer.receiver.connected.wait(30)
        expected = assign(PARTITIONS, ["w0", "w1"])
        _wait(
            lambda: all(w.partitions() == set(expected[f"w{i}"]) for i, w in enumerate(workers)),
            20, "two workers holding two partitions each",
        )  # fmt: skip
        time.sleep(0.5)  # the shared subscriptions are made on connect
        now = int(time.time() * 1000)
        rounds = 5
        for r in range(rounds):
            for e in fleet.elevators:
                topic = status_topic(e.terminal_id, topic_root)
                terminals.publish(topic, parked_status(r + 1, now + r * 1000), 1)
        total = rounds * len(fleet.elevators)
        _wait(lambda: _count(db_url, "SELECT count(*) FROM telemetry") == total, 60, "stored")
        # every stored sample went through the stream to exactly the owning workers
        _wait(
            lambda: sum(w.worker.counts["samples"] for w in workers) >= total, 30,
            "detectors fed",
        )  # fmt: skip
        assert all(s.committed_batches > 0 for s in storers), "one storer took everything"
        assert sum(f.published for f in forwarders) > 0
        seen = [set().union(*(s.elevators for s in w.worker.stints)) for w in workers]
        assert seen[0]
        assert seen[1]
        assert not seen[0] & seen[1], "an elevator on two workers"

        # w1 stops: w0 takes every partition; w1 comes back and takes its share back
        workers[1].stop()
        _wait(lambda: workers[0].partitions() == set(range(PARTITIONS)), 20, "w0 takes all")
        workers[1] = RunningWorker(cluster_settings, db_url, "w1")
        _wait(
            lambda: all(w.partitions() == set(expected[f"w{i}"]) for i, w in enumerate(workers)),
            20, "w1 taking its partitions back",
        )  # fmt: skip
        before = workers[1].worker.counts["samples"]
        for e in fleet.elevators:
            terminals.publish(
                status_topic(e.terminal_id, topic_root), parked_status(9, now + 9000), 1
            )
        _wait(lambda: workers[1].worker.counts["samples"] > before, 20, "w1 processing again")
        assert workers[1].worker.counts["restores"] >= 1
    finally:
        terminals.loop_stop()
        terminals.disconnect()
        for w in workers:
            w.stop()
        for storer in storers:
            storer.stop()
        for forwarder in forwarders:
            forwarder.close()


def test_entrapment_in_progress_survives_a_take_over(
    fleet_db: tuple[str, Any], mqtt_url: str, topic_root: str, cluster_settings: ClusterSettings
) -> None:
    """The worker that saw an entrapment begin stops before T; the worker taking its
    partition over restores the elevator from stored telemetry and raises the alarm with
    the original onset (start + T), once."""
    db_url, fleet = fleet_db
    forwarder = StreamForwarder(cluster_settings, "lwtest-storer")
    storer = IngestService(
        IngestSettings(metrics_port=0, client_id=f"lwtest-storer-{uuid.uuid4().hex[:8]}"),
        db_url, mqtt_url, topic_root, forwarder=forwarder, share_group=cluster_settings.share_group,
    )  # fmt: skip
    storer.start()
    workers = {name: RunningWorker(cluster_settings, db_url, name) for name in ("a", "b")}
    terminals = new_client(mqtt_url, f"lwtest-terminals-{uuid.uuid4().hex[:8]}")
    connect(terminals, mqtt_url)
    terminals.loop_start()
    target = next(e for e in fleet.elevators if e.floors >= 8 and e.lowest_floor <= 1)
    seq = [0]

    def publish(**kw: Any) -> None:
        seq[0] += 1
        payload = parked_status(seq[0], int(time.time() * 1000), **kw)
        terminals.publish(status_topic(target.terminal_id, topic_root), payload, 1)

    try:
        assert storer.ready.wait(30)
        assert storer.receiver.connected.wait(30)
        _wait(lambda: all(len(w.partitions()) == 2 for w in workers.values()), 20, "balance")
        time.sleep(0.5)
        publish(door=DoorState.OPEN, passenger=True)
        _wait(
            lambda: any(
                target.id in s.elevators for w in workers.values() for s in w.worker.stints
            ),
            20, "the target's first sample processed",
        )  # fmt: skip
        owner = next(
            n for n, w in workers.items() if any(target.id in s.elevators for s in w.worker.stints)
        )
        start_ms = int(time.time() * 1000)
        trapped = dict(passenger=True, door_zone=False, floor=5)
        publish(**trapped)
        time.sleep(2.0)  # T is 5 s: the owner leaves in the middle of it
        workers[owner].stop()
        other = workers["b" if owner == "a" else "a"]
        deadline = start_ms / 1000 + 5.0 + 5.0
        while time.time() < deadline:
            publish(**trapped)
            time.sleep(0.5)
            if _count(db_url, "SELECT count(*) FROM alarms WHERE type = 'entrapment'"):
                break
        with psycopg.connect(db_url) as conn:
            rows = conn.execute(
                "SELECT elevator_id, opened_at FROM alarms WHERE type = 'entrapment'"
            ).fetchall()
        assert len(rows) == 1, (rows, other.worker.counts)
        assert rows[0][0] == target.id
        assert int(rows[0][1].timestamp() * 1000) == start_ms + 5000
        assert other.worker.counts["restores"] >= 1
        assert other.worker.counts["restored_samples"] >= 2
    finally:
        terminals.loop_stop()
        terminals.disconnect()
        for w in workers.values():
            if w.thread.is_alive():
                w.stop()
        storer.stop()
        forwarder.close()
