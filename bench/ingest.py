"""Ingest benchmark: end-to-end QoS 1 throughput (published -> committed), latency, the
rate of a bare paho subscriber on the same broker, and ingest RSS with a city fleet.

Uses the real mosquitto and PostgreSQL named by LIFTWATCH_MQTT_URL and
LIFTWATCH_DATABASE_URL; creates (and drops) its own database, seeds the elevators with
COPY, then runs, each in its own process: the ingest service (with a consumer that
records publish -> commit latency), a publisher (M simulated terminals, bounded QoS 1
window), and afterwards a bare subscriber that only counts. Prints one JSON line last.

    python bench/ingest.py --messages 200000 --terminals 250000 [--rate 10000]
    liftwatch bench ingest -n 200000 -m 250000 [--rate 10000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec
import numpy as np
import psycopg

from domain.telemetry import status_topic


def _rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(current RSS, peak RSS) in MB from /proc."""
    rss = hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return rss, hwm


def _payload(seq: int, ts: int, floor: int) -> bytes:
    return msgspec.json.encode(
        {
            "v": 1, "seq": seq, "ts": ts, "car": "running", "dir": "up", "floor": floor,
            "door_zone": False, "door": "closed", "passenger": True, "mode": "normal",
            "power": "normal", "speed": 1.6, "load": 420.0, "leveling_mm": 3.0,
            "counters": {"run_hours": 1234.5, "runs": 98765, "door_cycles": 123456},
            "analog": {"vibration": 0.12, "temperature": 31.5},
        }
    )  # fmt: skip


# -- child processes ----------------------------------------------------------------------
def _publisher(
    mqtt_url: str, root: str, n: int, m: int, window: int, raw: bool, rate: float,
    out: Connection,
) -> None:  # fmt: skip
    topics = [status_topic(f"B{i + 1}", root) for i in range(min(n, m))]
    if raw:
        _raw_publish(mqtt_url, topics, n, m, window, rate, out)
        return
    from messaging.client import connect, new_client

    acked = [0]

    def on_publish(client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        acked[0] += 1

    client = new_client(mqtt_url, f"bench-pub-{uuid.uuid4().hex[:8]}")
    # paho rescans its whole outgoing queue on every PUBACK: keep the window small.
    client.max_inflight_messages_set(window)
    client.max_queued_messages_set(window)
    client.on_publish = on_publish
    connect(client, mqtt_url)
    client.loop_start()
    out.send("ready")
    out.recv()  # go
    started = time.time()
    publish = client.publish
    for i in range(n):
        topic = topics[i % len(topics)]
        payload = _payload(i // m, int(time.time() * 1000), 1 + i % 20)
        while publish(topic, payload, 1).rc != 0:  # window full: wait for acknowledgements
            time.sleep(0.0005)
    while acked[0] < n:
        time.sleep(0.001)
    out.send({"started": started, "finished": time.time()})
    client.disconnect()
    client.loop_stop()


def _raw_publish(
    mqtt_url: str, topics: list[str], n: int, m: int, window: int, rate: float, out: Connection
) -> None:
    """Publish with the project's lean raw-socket QoS 1 publisher (messaging.fastpub:
    buffered writes, bounded window), so the load generator leaves the CPU to what is
    measured."""
    from messaging.fastpub import FastPublisher

    pub = FastPublisher(mqtt_url, f"bench-raw-{uuid.uuid4().hex[:8]}", window=window)
    pub.connect()
    out.send("ready")
    out.recv()
    started = time.time()
    publish, clock = pub.publish, time.time
    for i in range(n):
        if rate and i >= (clock() - started) * rate:  # paced: ahead of schedule
            pub.flush()
            while i >= (clock() - started) * rate:
                time.sleep(0.001)
        publish(topics[i % len(topics)], _payload(i // m, int(clock() * 1000), 1 + i % 20))
    if not pub.wait_acked(600):
        raise SystemExit(f"only {pub.acked} of {n} messages acknowledged")
    out.send({"started": started, "finished": time.time()})
    pub.disconnect()


class _LatencyRecorder:
    """A batch consumer that records publish (event time) -> commit per status message."""

    def __init__(self) -> None:
        self.lat: list[Any] = []
        self.count = 0
        self.last_commit = 0.0

    def consume(self, batch: Any) -> None:
        if batch.statuses:
            now = time.time()
            ts = np.fromiter((s[1].ts for s in batch.statuses), np.int64, len(batch.statuses))
            self.lat.append(now * 1000 - ts)
            self.count += len(batch.statuses)
            self.last_commit = now

    def tick(self, now_ms: int) -> None:
        pass


def _ingest(db_url: str, mqtt_url: str, root: str, n: int, out: Connection) -> None:
    from ingest.config import IngestSettings
    from ingest.service import IngestService

    recorder = _LatencyRecorder()
    service = IngestService(
        IngestSettings(client_id=f"bench-ingest-{uuid.uuid4().hex[:8]}", metrics_port=0),
        db_url,
        mqtt_url,
        topic_root=root,
        consumers=[recorder],
    )
    service.start()
    service.ready.wait(120)
    while not service.receiver.connected.is_set():
        time.sleep(0.05)
    time.sleep(0.5)  # subscription in place
    out.send({"ready": True, "rss_mb": _rss_mb()[0]})
    deadline = time.time() + 600
    while recorder.count < n and time.time() < deadline:
        time.sleep(0.01)
    lat = np.concatenate(recorder.lat) if recorder.lat else np.zeros(1)
    rss, hwm = _rss_mb()
    service.stop()
    out.send(
        {
            "count": recorder.count,
            "last_commit": recorder.last_commit,
            "p50_ms": float(np.percentile(lat, 50)),
            "p99_ms": float(np.percentile(lat, 99)),
            "rss_mb": rss,
            "peak_rss_mb": hwm,
            "batches": service.committed_batches,
            "commits_over_250ms": _commits_over(service, "0.25"),
        }
    )


def _commits_over(service: Any, le: str) -> int:
    """Batches whose write + commit took longer than ``le`` seconds (from the metrics)."""
    registry = service.metrics.registry
    total = registry.get_sample_value("liftwatch_ingest_commit_seconds_count") or 0.0
    fast = registry.get_sample_value("liftwatch_ingest_commit_seconds_bucket", {"le": le}) or 0.0
    return int(total - fast)


def _bare(mqtt_url: str, root: str, n: int, out: Connection) -> None:
    from messaging.client import connect, new_client

    state = {"count": 0, "last": 0.0}

    def on_message(client: Any, userdata: Any, msg: Any) -> None:
        state["count"] += 1
        if state["count"] >= n:
            state["last"] = time.time()

    client = new_client(mqtt_url, f"bench-bare-{uuid.uuid4().hex[:8]}")
    client.on_message = on_message
    connect(client, mqtt_url)
    client.subscribe(root + "/#", qos=1)
    client.loop_start()
    time.sleep(0.5)
    out.send({"ready": True})
    deadline = time.time() + 600
    while state["count"] < n and time.time() < deadline:
        time.sleep(0.01)
    client.loop_stop()
    out.send({"count": state["count"], "last": state["last"]})


# -- orchestration ------------------------------------------------------------------------
def _run_publisher(
    mqtt_url: str, root: str, n: int, m: int, window: int, raw: bool, rate: float = 0.0
) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=_publisher, args=(mqtt_url, root, n, m, window, raw, rate, theirs))
    proc.start()
    assert mine.recv() == "ready"
    mine.send("go")
    result: dict[str, float] = mine.recv()
    proc.join()
    return result


def _ingest_phase(
    db_url: str, mqtt_url: str, messages: int, terminals: int, window: int, raw: bool,
    rate: float,
) -> dict[str, Any]:  # fmt: skip
    """One ingest process, one publisher run; returns the ingest child's figures."""
    ctx = mp.get_context("spawn")
    root = f"bench/{uuid.uuid4().hex[:8]}/v1"
    mine, theirs = ctx.Pipe()
    ingest = ctx.Process(target=_ingest, args=(db_url, mqtt_url, root, messages, theirs))
    ingest.start()
    ready = mine.recv()
    pub = _run_publisher(mqtt_url, root, messages, terminals, window, raw, rate)
    res: dict[str, Any] = mine.recv()
    ingest.join()
    elapsed = res["last_commit"] - pub["started"]
    res["msgs_per_s"] = res["count"] / elapsed if elapsed > 0 else 0.0
    res["idle_rss_mb"] = ready["rss_mb"]
    res["publisher_msgs_per_s"] = messages / (pub["finished"] - pub["started"])
    mode = f"paced {rate:.0f}/s" if rate else "unpaced"
    print(
        f"ingest ({mode}): {res['count']} committed"
        f" in {elapsed:.2f} s ({res['msgs_per_s']:.0f}/s), {res['batches']} batches,"
        f" p50 {res['p50_ms']:.0f} ms, p99 {res['p99_ms']:.0f} ms",
        file=sys.stderr,
    )
    return res


def run_bench(
    messages: int,
    terminals: int,
    window: int = 1_000,
    paho_publisher: bool = False,
    rate: float = 10_000.0,
) -> dict[str, Any]:
    """See :func:`_run`. Child processes are spawned with this module as their main
    module, so that under `liftwatch bench ingest` they do not import the whole CLI (and
    the measured RSS is ingest's own)."""
    main = sys.modules["__main__"]
    if __name__ != "__main__":
        sys.modules["__main__"] = sys.modules[__name__]
    try:
        return _run(messages, terminals, window, paho_publisher, rate)
    finally:
        sys.modules["__main__"] = main


def _run(
    messages: int,
    terminals: int,
    window: int = 1_000,
    paho_publisher: bool = False,
    rate: float = 10_000.0,
) -> dict[str, Any]:
    """Throughput with an unpaced publisher (ingest saturated: its latency is mostly
    queueing, reported as ``saturated_p*_ms``), then latency (``p50_ms``/``p99_ms``) with
    the publisher paced at ``rate`` msgs/s (0 skips that phase), then the bare
    subscriber, unpaced."""
    from ingest.seed import seed_elevators
    from storage.scratch import create_database

    db_server = os.environ.get("LIFTWATCH_DATABASE_URL")
    mqtt_url = os.environ.get("LIFTWATCH_MQTT_URL")
    if not db_server or not mqtt_url:
        raise SystemExit("set LIFTWATCH_DATABASE_URL and LIFTWATCH_MQTT_URL (scripts/services)")
    scratch = create_database(db_server, "lw_bench_ingest")
    db_url = scratch.url
    ctx = mp.get_context("spawn")
    raw = not paho_publisher
    try:
        t0 = time.time()
        with psycopg.connect(db_url) as conn:
            # Each simulated terminal sends about one message per run, far less often than
            # a real one: a long report interval keeps the heartbeat timeout (presence)
            # from turning the run into a mass-offline event (measured on its own).
            seed_elevators(conn, terminals, prefix="B", report_interval_s=3600.0)
        print(f"seeded {terminals} elevators in {time.time() - t0:.1f} s", file=sys.stderr)
        load_before = os.getloadavg()

        sat = _ingest_phase(db_url, mqtt_url, messages, terminals, window, raw, 0.0)
        paced = (
            _ingest_phase(db_url, mqtt_url, messages, terminals, window, raw, rate) if rate else sat
        )

        root2 = f"bench/{uuid.uuid4().hex[:8]}/v1"
        mine2, theirs2 = ctx.Pipe()
        bare = ctx.Process(target=_bare, args=(mqtt_url, root2, messages, theirs2))
        bare.start()
        mine2.recv()
        pub2 = _run_publisher(mqtt_url, root2, messages, terminals, window, raw, 0.0)
        bres = mine2.recv()
        bare.join()
        bare_elapsed = bres["last"] - pub2["started"]
        bare_rate = bres["count"] / bare_elapsed if bare_elapsed > 0 else 0.0
        print(f"bare subscriber: {bres['count']} in {bare_elapsed:.2f} s", file=sys.stderr)

        with psycopg.connect(db_url) as conn:
            stored = conn.execute("SELECT count(*) FROM telemetry").fetchone()
        msgs_per_s = sat["msgs_per_s"]
        figures = {
            "messages": messages,
            "terminals": terminals,
            "stored": int(stored[0]) if stored else 0,
            "msgs_per_s": round(msgs_per_s),
            "p50_ms": round(paced["p50_ms"], 1),
            "p99_ms": round(paced["p99_ms"], 1),
            "latency_rate_target": rate,
            "paced_msgs_per_s": round(paced["msgs_per_s"]),
            "saturated_p50_ms": round(sat["p50_ms"], 1),
            "saturated_p99_ms": round(sat["p99_ms"], 1),
            "paced_commits_over_250ms": paced["commits_over_250ms"],
            "paced_batches": paced["batches"],
            "bare_msgs_per_s": round(bare_rate),
            "ratio": round(msgs_per_s / bare_rate, 3) if bare_rate else 0.0,
            "rss_mb": round(max(sat["rss_mb"], paced["rss_mb"]), 1),
            "peak_rss_mb": round(max(sat["peak_rss_mb"], paced["peak_rss_mb"]), 1),
            "idle_rss_mb": round(sat["idle_rss_mb"], 1),
            "publisher_msgs_per_s": round(sat["publisher_msgs_per_s"]),
            "publisher": "raw-socket" if raw else "paho",
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        scratch.drop()
    print(json.dumps(figures))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=200_000)
    parser.add_argument("-m", "--terminals", type=int, default=250_000)
    parser.add_argument("--window", type=int, default=1_000)
    parser.add_argument("--paho-publisher", action="store_true", help="publish with paho")
    parser.add_argument(
        "--rate", type=float, default=10_000.0, help="publish rate of the latency phase (0: skip)"
    )
    args = parser.parse_args()
    run_bench(args.messages, args.terminals, args.window, args.paho_publisher, args.rate)


if __name__ == "__main__":
    main()
