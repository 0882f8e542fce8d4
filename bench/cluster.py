"""Cluster benchmark: storers and detector workers on a 3-node RabbitMQ, with failures.

Starts (or reuses) three RabbitMQ nodes on 127.0.0.1 through ``scripts/services
rabbitmq-start 3`` (its own services directory and ports), makes a scratch database on
LIFTWATCH_DATABASE_URL, seeds the terminals, and runs as child processes: S storers
(``liftwatch ingest`` in cluster mode, sharing the mosquitto subscription at
LIFTWATCH_MQTT_URL) and D detector workers (this script, ``--role detector``: the same
wiring as ``liftwatch detector`` plus a trace of which elevators each worker processed
when). A paced raw QoS 1 publisher sends the terminals' status messages; a second
publisher plays the trapped elevators (1 Hz: parked and empty, a passenger boarding 3 s
before the onset, then stuck between floors), whose entrapments begin at staggered
times. With ``--failover`` a storer, a detector worker and a RabbitMQ node are each
SIGKILLed mid-run and started again a few seconds later (as a supervisor would).

Prints one JSON line last: storers, detectors, published, stored, duplicate_rows,
alarms_expected / raised / duplicated / false, affinity_violations, msgs_per_s,
cpu_us_per_msg (storer, detector, rabbitmq, database), alarm delays and ``failover``.

    python bench/cluster.py --terminals 20000 --messages 200000 --entrapments 120 --failover
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from domain.codes import DoorState
from domain.telemetry import status_topic
from simulators.wire import parked_status

ROOT = Path(__file__).resolve().parents[1]
RABBIT_DIR = os.environ.get("LIFTWATCH_BENCH_RABBITMQ_DIR", "/tmp/liftwatch-bench-rabbitmq")
RABBIT_PORT = int(os.environ.get("LIFTWATCH_BENCH_AMQP_PORT", "56821"))
TICK = os.sysconf("SC_CLK_TCK")
T_S = 10.0  # the entrapment rule's T in this bench (30 s in production: same rule)
BOARDING_S = 3.0  # a trapped elevator's passenger boards this long before the onset


TRAPPED = dict(passenger=True, door_zone=False, floor=5)


# -- services -----------------------------------------------------------------------------
def _services(*args: str) -> str:
    env = dict(
        os.environ, LIFTWATCH_SERVICES_DIR=RABBIT_DIR, LIFTWATCH_AMQP_PORT=str(RABBIT_PORT),
        LIFTWATCH_RABBITMQ_NAME="lwbench",
    )  # fmt: skip
    out = subprocess.run(
        [str(ROOT / "scripts" / "services"), *args], env=env, check=True, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    return out.stdout


def start_rabbitmq() -> str:
    out = _services("rabbitmq-start", "3")
    return out.strip().split("=", 1)[1].strip("'")


def rabbit_pid(node: int) -> int | None:
    try:
        return int(Path(RABBIT_DIR, "rabbitmq", f"lw{node}.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


class CpuMeter:
    """Cumulative CPU of processes by component, sampled (a killed process keeps its
    last sample)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int], float] = {}

    def sample(self, component: str, pids: list[int]) -> None:
        for pid in pids:
            value = cpu_seconds(pid)
            if value is not None:
                self.seen[(component, pid)] = value

    def total(self, component: str) -> float:
        return sum(v for (c, _), v in self.seen.items() if c == component)


# -- the detector worker role -------------------------------------------------------------
def run_detector(worker_id: str, trace_path: str) -> None:
    import asyncio

    from ingest.cluster.detector_worker import DetectorWorker
    from ingest.detect_stage import DetectStage
    from liftwatch import logs
    from liftwatch.settings import load_settings
    from messaging.client import Publisher

    settings = load_settings()
    logs.configure(settings.log_level)
    db_url = settings.require_database_url()
    publisher = Publisher(settings.require_mqtt_url(), f"bench-{worker_id}-{os.getpid()}")
    recovery = settings.ingest.recovery.model_copy(update={"checkpoint": worker_id})
    stage = DetectStage(settings.detection, db_url, publisher, recovery=recovery, tick_s=0.1)
    worker = DetectorWorker(settings.cluster, stage, db_url, worker_id, trace=True)
    publisher.start(wait_s=5)
    stage.start(recover=False)

    def dump() -> None:
        stints = [
            {"partition": s.partition, "first": s.first, "last": s.last,
             "released": s.released, "elevators": sorted(s.elevators)}
            for s in worker.stints if s.first
        ]  # fmt: skip
        data = {"worker": worker_id, "pid": os.getpid(), "counts": worker.counts,
                "stage": stage.counts, "stints": stints}  # fmt: skip
        tmp = trace_path + ".tmp"
        Path(tmp).write_text(json.dumps(data))
        os.replace(tmp, trace_path)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        task = asyncio.create_task(worker.run(stop))
        while not stop.is_set():
            await asyncio.sleep(1.0)
            dump()
        await task
        dump()

    asyncio.run(main())
    stage.stop()
    publisher.stop()


# -- the run ------------------------------------------------------------------------------
class Cluster:
    """The child processes: storers and detector workers, started, killed, restarted."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.all_pids: dict[str, list[int]] = {"storer": [], "detector": []}

    def start(self, name: str) -> None:
        env = dict(self.env)
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        if name.startswith("storer"):
            env["LIFTWATCH_INGEST__CLIENT_ID"] = f"bench-{name}-{self.env['BENCH_RUN']}"
            cmd = [str(ROOT / ".venv" / "bin" / "liftwatch"), "ingest"]
            kind = "storer"
        else:
            trace = str(self.workdir / f"{name}-{len(self.all_pids['detector'])}.json")
            cmd = [sys.executable, __file__, "--role", "detector", "--id", name, "--trace", trace]
            kind = "detector"
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=ROOT)
        self.procs[name] = proc
        self.all_pids[kind].append(proc.pid)

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _load_publisher(
    mqtt_url: str, root: str, terminals: list[str], n: int, rate: float, done: dict[str, Any]
) -> None:
    from messaging.fastpub import FastPublisher

    pub = FastPublisher(mqtt_url, f"bench-load-{uuid.uuid4().hex[:8]}", window=1000)
    pub.connect()
    topics = [status_topic(t, root) for t in terminals]
    started = time.time()
    done["started"] = started
    m = len(topics)
    for i in range(n):
        if i >= (time.time() - started) * rate:
            pub.flush()
            while i >= (time.time() - started) * rate:
                time.sleep(0.002)
        pub.publish(topics[i % m], parked_status(1 + i // m, int(time.time() * 1000)))
    if not pub.wait_acked(600):
        raise SystemExit(f"only {pub.acked} of {n} load messages acknowledged")
    done["sent"] = n
    done["finished"] = time.time()
    pub.disconnect()


class Trapped:
    """The trapped elevators' terminals: 1 Hz normal samples, then from its onset each
    is stuck between floors with a passenger until the end."""

    def __init__(self, mqtt_url: str, root: str, ids: list[int], onsets: list[float]) -> None:
        from messaging.client import connect, new_client

        self.root = root
        self.ids = ids
        self.onset_at = dict(zip(ids, onsets, strict=True))  # wall clock (s) to begin
        self.onset_ms: dict[int, int] = {}
        self.seq = dict.fromkeys(ids, 0)
        self.sent = 0
        self.acked = 0
        self.client = new_client(mqtt_url, f"bench-trapped-{uuid.uuid4().hex[:8]}")
        self.client.on_publish = self._on_publish
        connect(self.client, mqtt_url)
        self.client.loop_start()

    def _on_publish(self, *args: Any) -> None:
        self.acked += 1

    def step(self, now: float) -> None:
        ts = int(now * 1000)
        for e in self.ids:
            self.seq[e] += 1
            stuck = now >= self.onset_at[e]
            if stuck and e not in self.onset_ms:
                self.onset_ms[e] = ts
            kw: dict[str, Any] = {}  # parked, empty (a sensor on all the time is stuck on)
            if stuck:
                kw = TRAPPED
            elif now >= self.onset_at[e] - BOARDING_S:
                kw = {"door": DoorState.OPEN, "passenger": True}
            topic = status_topic(f"B{e}", self.root)
            self.client.publish(topic, parked_status(self.seq[e], ts, **kw), 1)
            self.sent += 1

    def close(self) -> None:
        deadline = time.time() + 60
        while self.acked < self.sent and time.time() < deadline:
            time.sleep(0.05)
        self.client.loop_stop()
        self.client.disconnect()


def _alarm_poll(db_url: str, seen: dict[int, float], stop: threading.Event) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        while not stop.wait(0.25):
            rows = conn.execute(
                "SELECT DISTINCT elevator_id FROM alarms WHERE type = 'entrapment'"
            ).fetchall()
            now = time.time()
            for (e,) in rows:
                seen.setdefault(e, now)


def _affinity_violations(workdir: Path, killed_at: dict[int, float]) -> tuple[int, dict[str, int]]:
    """Elevators processed by two workers at overlapping times (per ownership stint:
    first..last processing; a killed worker's stints not yet released are taken to last
    until its kill)."""
    stints = []
    samples: dict[str, int] = {}
    for path in workdir.glob("d*.json"):
        data = json.loads(path.read_text())
        samples[path.stem] = data["counts"]["samples"]
        samples["amqp:" + path.stem] = data["counts"]["deliveries"]
        end = killed_at.get(data["pid"])
        for s in data["stints"]:
            last = max(s["last"], end) if end and not s["released"] else s["last"]
            stints.append((data["pid"], s["first"], last, set(s["elevators"])))
    violations = set()
    for i, (pid_a, a0, a1, ea) in enumerate(stints):
        for pid_b, b0, b1, eb in stints[i + 1 :]:
            if pid_a != pid_b and a0 <= b1 and b0 <= a1:
                violations |= ea & eb
    return len(violations), samples


def _scalar(db_url: str, query: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _db_pids(db_url: str) -> list[int]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(r[0]) for r in rows]


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.cpu = CpuMeter()
        self.events: list[tuple[str, float]] = []
        self.killed_at: dict[int, float] = {}
        self.stop = threading.Event()

    def sample_cpu(self, cluster: Cluster, db_url: str) -> None:
        self.cpu.sample("storer", cluster.all_pids["storer"])
        self.cpu.sample("detector", cluster.all_pids["detector"])
        self.cpu.sample("rabbitmq", [p for p in (rabbit_pid(i) for i in (1, 2, 3)) if p])
        with contextlib.suppress(psycopg.Error):
            self.cpu.sample("database", _db_pids(db_url))

    def failures(self, cluster: Cluster, duration: float, started: float) -> list[Any]:
        """(at, action) of the failover schedule: kill, then restart a few seconds later."""
        if not self.args.failover:
            return []

        def kill(name: str) -> Any:
            def act() -> None:
                pid = cluster.procs[name].pid
                self.killed_at[pid] = time.time()
                cluster.kill(name)

            return act

        def kill_rabbit() -> None:
            pid = rabbit_pid(2)
            if pid:
                os.kill(pid, signal.SIGKILL)

        return [
            (started + 0.25 * duration, "kill storer-1", kill("storer-1")),
            (started + 0.25 * duration + 3, "start storer-1", lambda: cluster.start("storer-1")),
            (started + 0.45 * duration, "kill d1", kill("d1")),
            (started + 0.45 * duration + 5, "start d1", lambda: cluster.start("d1")),
            (started + 0.65 * duration, "kill rabbitmq lw2", kill_rabbit),
            (started + 0.65 * duration + 5, "start rabbitmq lw2",
             lambda: threading.Thread(target=_services, args=("rabbitmq-node-start", "2")).start()),
        ]  # fmt: skip


def _setup(args: argparse.Namespace) -> tuple[Any, str, str, str]:
    from ingest.seed import seed_elevators
    from storage.scratch import create_database

    db_server = os.environ.get("LIFTWATCH_DATABASE_URL")
    mqtt_url = os.environ.get("LIFTWATCH_MQTT_URL")
    if not db_server or not mqtt_url:
        raise SystemExit("set LIFTWATCH_DATABASE_URL and LIFTWATCH_MQTT_URL (scripts/services)")
    t0 = time.time()
    amqp_url = start_rabbitmq()
    print(f"rabbitmq 3 nodes up in {time.time() - t0:.1f} s", file=sys.stderr)
    scratch = create_database(db_server, "lw_bench_cluster")
    with psycopg.connect(scratch.url) as conn:
        seed_elevators(conn, args.terminals, prefix="B", report_interval_s=3600.0)
    return scratch, scratch.url, mqtt_url, amqp_url


def _env(args: argparse.Namespace, db_url: str, mqtt_url: str, amqp_url: str) -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    name = f"lwbench.{run}"
    return dict(
        os.environ,
        BENCH_RUN=run,
        LIFTWATCH_DATABASE_URL=db_url,
        LIFTWATCH_MQTT_URL=mqtt_url,
        LIFTWATCH_TOPIC_ROOT=f"lwbench/{run}/v1",
        LIFTWATCH_CLUSTER__AMQP_URL=amqp_url,
        LIFTWATCH_CLUSTER__EXCHANGE=name,
        LIFTWATCH_CLUSTER__QUEUE_PREFIX=f"{name}.p",
        LIFTWATCH_CLUSTER__MEMBERS_EXCHANGE=f"{name}.m",
        LIFTWATCH_CLUSTER__SHARE_GROUP=f"lwbench-{run}",
        LIFTWATCH_CLUSTER__PARTITIONS=str(args.partitions),
        LIFTWATCH_INGEST__METRICS_PORT="0",
        LIFTWATCH_DETECTION__ENTRAPMENT_S=str(T_S),
        LIFTWATCH_DETECTION__NOTIFY_ROOT=f"lwbench-notify/{run}/v1",
        LIFTWATCH_LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    )


def _drive(
    run: Run, cluster: Cluster, env: dict[str, str], db_url: str, trapped_ids: list[int]
) -> dict[str, Any]:
    args = run.args
    root = env["LIFTWATCH_TOPIC_ROOT"]
    trapped_set = set(trapped_ids)
    load_terms = [f"B{i}" for i in range(1, args.terminals + 1) if i not in trapped_set]
    duration = args.messages / args.rate
    started = time.time() + 2.0
    span = max(duration - T_S - 10, 1.0)
    onsets = [started + 5 + span * k / len(trapped_ids) for k in range(len(trapped_ids))]
    trapped = Trapped(env["LIFTWATCH_MQTT_URL"], root, trapped_ids, onsets)
    load: dict[str, Any] = {}
    loader = threading.Thread(
        target=_load_publisher,
        args=(env["LIFTWATCH_MQTT_URL"], root, load_terms, args.messages, args.rate, load),
    )
    schedule = run.failures(cluster, duration, started)
    while time.time() < started:
        time.sleep(0.05)
    loader.start()
    end = max(onsets) + T_S + 8
    next_step = time.time()
    while time.time() < end or loader.is_alive():
        now = time.time()
        if now >= next_step:
            trapped.step(now)
            next_step += 1.0
            run.sample_cpu(cluster, db_url)
        while schedule and schedule[0][0] <= now:
            _, what, action = schedule.pop(0)
            run.events.append((what, now))
            print(f"{now - started:6.1f} s  {what}", file=sys.stderr)
            action()
        time.sleep(0.05)
    loader.join()
    trapped.close()
    return {"load": load, "trapped": trapped, "started": started}


def _wait_stored(db_url: str, expected: int, quiet_s: float) -> tuple[int, float]:
    """Until every published message is stored, or nothing more was stored for
    ``quiet_s`` (a backlog on a busy box drains slowly; only a standstill is loss)."""
    stored, progress_at = 0, time.time()
    while time.time() - progress_at < quiet_s:
        count = _scalar(db_url, "SELECT count(*) FROM telemetry")
        if count > stored:
            stored, progress_at = count, time.time()
        if stored >= expected:
            break
        time.sleep(0.5)
    return stored, progress_at


def _alarm_figures(
    db_url: str, trapped: Trapped, seen: dict[int, float], events: list[tuple[str, float]]
) -> dict[str, Any]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT elevator_id, (extract(epoch FROM opened_at) * 1000)::bigint FROM alarms"
            " WHERE type = 'entrapment'"
        ).fetchall()
    per: dict[int, list[int]] = {}
    for e, opened in rows:
        per.setdefault(int(e), []).append(int(opened))
    expected = trapped.onset_ms
    raised = [e for e in expected if e in per]
    exact = [e for e in raised if expected[e] + int(T_S * 1000) in per[e]]
    delays = {e: seen[e] - (expected[e] / 1000 + T_S) for e in raised if e in seen}
    kills = [(what, at) for what, at in events if what.startswith("kill")]
    by_kill: dict[str, float] = {}
    near = []
    for e, d in delays.items():
        due = expected[e] / 1000 + T_S
        for what, k in kills:
            if k - 2 <= due <= k + 20:
                near.append(d)
                by_kill[what] = round(max(d, by_kill.get(what, d)), 2)
    ordered = sorted(delays.values())
    # raised at another onset than the first stuck sample (e.g. that sample reached the
    # detectors after a later one, through another storer, and was dropped as late)
    offsets = sorted(
        round((min(per[e]) - expected[e]) / 1000 - T_S, 2) for e in raised if e not in exact
    )
    return {
        "alarms_expected": len(expected),
        "alarms_raised": len(raised),
        "alarms_at_onset_plus_t": len(exact),
        "onset_offsets_s": offsets[:20],
        "alarms_duplicated": sum(len(v) - 1 for v in per.values()),
        "alarms_false": sum(len(v) for e, v in per.items() if e not in expected),
        "alarm_delay_p50_s": round(ordered[len(ordered) // 2], 2) if ordered else None,
        "alarm_delay_max_s": round(ordered[-1], 2) if ordered else None,
        "failover_alarms": len(near),
        "failover_alarm_delay_max_s": round(max(near), 2) if near else None,
        "failover_alarm_delay_max_by_kill_s": by_kill,
    }


def main_run(args: argparse.Namespace) -> dict[str, Any]:
    scratch, db_url, mqtt_url, amqp_url = _setup(args)
    env = _env(args, db_url, mqtt_url, amqp_url)
    workdir = Path(f"/tmp/lwbench-cluster-{env['BENCH_RUN']}")
    workdir.mkdir(parents=True)
    step = max(args.terminals // args.entrapments, 1)
    trapped_ids = list(range(step, args.terminals + 1, step))[: args.entrapments]
    cluster = Cluster(env, workdir)
    run = Run(args)
    seen: dict[int, float] = {}
    poller = threading.Thread(target=_alarm_poll, args=(db_url, seen, run.stop), daemon=True)
    try:
        for i in range(args.storers):
            cluster.start(f"storer-{i + 1}")
        for i in range(args.detectors):
            cluster.start(f"d{i + 1}")
        time.sleep(8)  # processes up, subscriptions made, partitions balanced
        poller.start()
        drive = _drive(run, cluster, env, db_url, trapped_ids)
        trapped: Trapped = drive["trapped"]
        published = drive["load"]["sent"] + trapped.sent
        stored, stored_at = _wait_stored(db_url, published, 30)
        time.sleep(3)
        run.sample_cpu(cluster, db_url)
        run.stop.set()
        cluster.stop_all()
        time.sleep(1.5)
        affinity, det_samples = _affinity_violations(workdir, run.killed_at)
        distinct = _scalar(
            db_url, "SELECT count(*) FROM (SELECT DISTINCT elevator_id, ts, seq FROM telemetry) d"
        )
        alarms = _alarm_figures(db_url, trapped, seen, run.events)
        elapsed = stored_at - drive["started"]
        amqp = sum(v for k, v in det_samples.items() if k.startswith("amqp:"))
        processed = max(sum(v for k, v in det_samples.items() if not k.startswith("amqp:")), 1)
        cpu = {
            "storer": round(run.cpu.total("storer") * 1e6 / max(stored, 1), 1),
            "detector": round(run.cpu.total("detector") * 1e6 / processed, 1),
            "rabbitmq": round(run.cpu.total("rabbitmq") * 1e6 / max(stored, 1), 1),
            "database": round(run.cpu.total("database") * 1e6 / max(stored, 1), 1),
        }
        result: dict[str, Any] = {
            "storers": args.storers, "detectors": args.detectors, "partitions": args.partitions,
            "terminals": args.terminals, "rate": args.rate, "entrapment_t_s": T_S,
            "published": published, "stored": stored, "lost": published - distinct,
            "duplicate_rows": stored - distinct, "detector_samples": processed,
            "amqp_messages": amqp, "samples_per_amqp_message": round(processed / max(amqp, 1), 2),
            "affinity_violations": affinity,
            "msgs_per_s": round(stored / elapsed, 1),
            "cpu_us_per_msg": cpu, "cores": os.cpu_count(),
        }  # fmt: skip
        result.update(alarms)
        if args.failover:
            result["failover"] = {
                "killed": [what for what, _ in run.events if what.startswith("kill")],
                "lost_messages": published - distinct,
                "lost_alarms": alarms["alarms_expected"] - alarms["alarms_raised"],
                "duplicated_alarms": alarms["alarms_duplicated"],
                "longest_alarm_delay_s": alarms["failover_alarm_delay_max_s"],
                "longest_alarm_delay_by_kill_s": alarms["failover_alarm_delay_max_by_kill_s"],
                "target_delay_s": 5.0,
            }
        return result
    finally:
        run.stop.set()
        cluster.stop_all()
        if not args.keep:
            scratch.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role", choices=["bench", "detector"], default="bench")
    parser.add_argument("--id", default="d1")
    parser.add_argument("--trace", default="")
    parser.add_argument("--terminals", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--entrapments", type=int, default=120)
    parser.add_argument("--storers", type=int, default=2)
    parser.add_argument("--detectors", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--rate", type=float, default=2500.0, help="load messages per second")
    parser.add_argument("--failover", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    if args.role == "detector":
        run_detector(args.id, args.trace)
        return
    print(json.dumps(main_run(args)))


if __name__ == "__main__":
    main()
