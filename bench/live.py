"""Live latency of the whole pipeline: how soon a trapped passenger reaches the desk, and
a status change the "one map".

Uses the real mosquitto and PostgreSQL named by LIFTWATCH_MQTT_URL and
LIFTWATCH_DATABASE_URL; creates (and drops) its own database and topic root. Seeds a
fleet of ``--elevators`` (``simulators.fleet``) and a desk user, then runs the real
processes: ``liftwatch ingest`` (with its detect stage), ``liftwatch dispatch`` (alarm ->
rescue case) and ``liftwatch api`` on a free port. The terminals publish anonymously on
the plain development broker, as the integration tests do (the dynamic-security broker
with per-terminal credentials is measured in docs/mqtt.md, not here).

Load: the simulator (``simulators.publisher.ScenarioPublisher``, real time, status every
5 s, no injected faults) publishes for the whole fleet but the scripted elevators, in a
child process. A scripted publisher thread drives the others, also every 5 s:
- ``--entrapments`` K elevators: at a random moment S a passenger boards, the car runs
  and stops between floors with the doors closed and stays so (sampled every 5 s). The
  alarm is due at S + T (``--entrapment-s``, default the product's 30 s).
- ``--status-changes`` M elevators: at a random moment the terminal reports fault 01
  (safety circuit), 10-20 s later it clears it (two map updates each).

Measured, per entrapment, from the due time S + T (wall clock: the terminals' clock):
``alarm_stored_s`` (the alarm's NOTIFY reaches a LISTENing connection of this process,
i.e. it is committed), ``case_opened_s`` (the case's NOTIFY), ``sse_desk_s`` (the alarm
event read from the desk's SSE stream, ``/api/v1/events`` with a ticket of a logged-in
desk user; ``sse_case_s`` for the case event). Per status change, ``map_update_s``: from
the publish of the terminal's message to the SSE event carrying the new ``map_status``.
``messages_per_s``: status messages stored per second during the run.

    .venv/bin/python bench/live.py [--elevators 2000 --entrapments 30 --status-changes 30]

Prints a table, then one JSON line last. Ctrl-C stops it; its processes and database
are removed on every exit.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import multiprocessing as mp
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ingest.py shadows ingest

import httpx
import msgspec
import numpy as np
import psycopg

from domain.fleet import Elevator, Fleet
from domain.telemetry import event_topic, status_topic
from storage.events import CHANNEL

REPO = Path(__file__).resolve().parent.parent
REPORT_S = 5.0
DESK_USER, DESK_PASSWORD = "bench-desk", "bench-" + secrets.token_hex(8)
WAIT_S = 120.0  # longest wait for a process or an expected event before giving up


# -- helpers ------------------------------------------------------------------------------
def now_ms() -> int:
    return int(time.time() * 1000)


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    a = np.asarray(values)
    return {
        "n": len(values),
        "p50": round(float(np.percentile(a, 50)), 3),
        "p95": round(float(np.percentile(a, 95)), 3),
        "max": round(float(a.max()), 3),
    }


class Child:
    """A `python -m liftwatch ...` process with its stderr collected."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "liftwatch", *args],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,  # Ctrl-C reaches this process only; it stops the children
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def logged(self, text: str) -> bool:
        self.check()
        return any(text in line for line in self.lines)

    def check(self) -> None:
        if self.proc.poll() is not None:
            tail = "".join(self.lines[-20:])
            raise SystemExit(f"{self.name} exited ({self.proc.returncode}):\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# -- the background fleet: the simulator in a child process --------------------------------
def _simulate(
    mqtt_url: str, fleet_json: bytes, root: str, seconds: float, seed: int, lag: Any
) -> None:
    """Publish the background fleet in real time; ``lag`` (a shared double) is kept at
    how far the last message sent trailed its event time, in seconds."""
    from simulators.publisher import ScenarioPublisher, clock_start_ms, paced_window_s
    from simulators.scenario import ScenarioConfig

    os.setsid()  # Ctrl-C at the terminal reaches the bench alone; it stops this process
    fleet = msgspec.json.decode(fleet_json, type=Fleet)
    cfg = ScenarioConfig(
        seed=seed, start_ms=clock_start_ms(seconds, 1.0), duration_s=seconds,
        status_interval_s=REPORT_S, kinds=frozenset(), window_s=paced_window_s(1.0),
    )  # fmt: skip
    publisher = ScenarioPublisher(mqtt_url, fleet, cfg, 1.0, root, client_id=f"bench-sim-{seed}")
    signal.signal(signal.SIGTERM, lambda *_: publisher.stop())

    def progress(st: Any) -> None:
        lag.value = max(0.0, time.time() - st.sim_ms / 1000) if st.sim_ms else 0.0

    stats_ = publisher.run(progress)
    print(f"simulator: {stats_.published} published, max lag {stats_.max_lag_s:.2f} s",
          file=sys.stderr)  # fmt: skip


# -- the scripted terminals -------------------------------------------------------------------
@dataclasses.dataclass
class Scripted:
    elevator: Elevator
    kind: str  # "trap" or "fault"
    at_ms: int  # the stop (trap) or the fault report (fault)
    clear_ms: int = 0  # fault: when the terminal clears it
    phase_ms: int = 0  # trap: the reports after the stop come at S + phase + 5 s * k
    seq: int = 0
    next_ms: int = 0
    # measured moments (wall clock, ms)
    published: dict[str, int] = dataclasses.field(default_factory=dict)


def _status(sc: Scripted, ts: int, **kw: Any) -> bytes:
    sc.seq += 1
    body: dict[str, Any] = {
        "v": 1, "seq": sc.seq, "ts": ts, "car": "stopped", "dir": "none",
        "floor": sc.elevator.lowest_floor, "door_zone": True, "door": "closed",
        "passenger": False, "mode": "normal", "speed": 0.0, "analog": {"vibration": 0.1},
    }  # fmt: skip
    body.update(kw)
    return msgspec.json.encode(body)


def _trap_sample(sc: Scripted, ts: int) -> bytes:
    """Boarding 10 s before the stop, running 5 s before, then stopped between floors."""
    low = sc.elevator.lowest_floor
    if ts < sc.at_ms - 10_000:
        return _status(sc, ts)
    if ts < sc.at_ms - 5_000:
        return _status(sc, ts, door="open", passenger=True)
    if ts < sc.at_ms:
        return _status(sc, ts, car="running", dir="up", floor=low + 1, door_zone=False,
                       passenger=True, speed=1.0)  # fmt: skip
    return _status(sc, ts, floor=low + 1, door_zone=False, passenger=True)


class ScriptedTerminals:
    """One QoS 1 connection for the scripted elevators; a status every 5 s each (the trap
    samples at their exact moments), fault reports and clears on time."""

    def __init__(self, mqtt_url: str, root: str, terminals: list[Scripted]) -> None:
        from messaging.fastpub import FastPublisher

        self.root = root
        self.terminals = terminals
        self.pub = FastPublisher(mqtt_url, f"bench-script-{uuid.uuid4().hex[:8]}", window=1000)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._guarded, name="scripted", daemon=True)

    def start(self) -> None:
        self.pub.connect()
        start = now_ms()
        for i, sc in enumerate(self.terminals):  # spread the regular reports over 5 s
            sc.next_ms = start + int(REPORT_S * 1000 * i / max(1, len(self.terminals)))
            if sc.kind == "trap":  # the trap's own samples fall on its moments
                sc.next_ms = sc.at_ms - 10_000 - 5_000 * ((sc.at_ms - 10_000 - start) // 5_000)
        self.thread.start()

    def _guarded(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 (reported by the main thread)
            self.error = exc

    def _run(self) -> None:
        while not self.stop.is_set():
            now = now_ms()
            soonest = now + 1_000
            for sc in self.terminals:
                self._due(sc, now)
                soonest = min(soonest, sc.next_ms, *self._pending_faults(sc))
            self.pub.flush()
            self.stop.wait(max(0.0, (soonest - now_ms()) / 1000))
        self.pub.wait_acked(10)
        self.pub.disconnect()

    @staticmethod
    def _pending_faults(sc: Scripted) -> list[int]:
        if sc.kind != "fault":
            return []
        return [t for key, t in (("fault", sc.at_ms), ("clear", sc.clear_ms))
                if key not in sc.published]  # fmt: skip

    def _due(self, sc: Scripted, now: int) -> None:
        el = sc.elevator
        if now >= sc.next_ms:
            ts = sc.next_ms if sc.kind == "trap" else now
            payload = _trap_sample(sc, ts) if sc.kind == "trap" else _status(sc, ts)
            self.pub.publish(status_topic(el.terminal_id, self.root), payload)
            step = int(REPORT_S * 1000)
            if sc.kind == "trap" and ts == sc.at_ms:
                sc.published["stop"] = now_ms()
                step = sc.phase_ms  # the periodic reports keep their own phase
            sc.next_ms += step
        for key, at, active in (("fault", sc.at_ms, True), ("clear", sc.clear_ms, False)):
            if sc.kind == "fault" and key not in sc.published and now >= at:
                sc.seq += 1
                body = {"v": 1, "seq": sc.seq, "ts": now, "code": 1, "active": active,
                        "floor": el.lowest_floor}  # fmt: skip
                self.pub.publish(event_topic(el.terminal_id, self.root), msgspec.json.encode(body))
                self.pub.flush()
                sc.published[key] = now_ms()


# -- observers: LISTEN on the event channel, the desk's SSE stream ---------------------------
class Listener:
    """LISTEN on the live-event channel: when an alarm or a case is committed."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.seen: list[tuple[float, dict[str, Any]]] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="listen", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.ready.set()
            while not self.stop.is_set():
                for note in conn.notifies(timeout=0.2):
                    self.seen.append((time.time(), json.loads(note.payload)))


class DeskStream:
    """The desk's live stream: log in, take an SSE ticket, read ``/api/v1/events``
    (reconnecting with a new ticket when the server ends the stream)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.seen: list[tuple[float, str, dict[str, Any]]] = []
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._guarded, name="sse", daemon=True)
        self.thread.start()

    def _guarded(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=30) as client:
                form = {"username": DESK_USER, "password": DESK_PASSWORD}
                token = client.post("/api/v1/auth/token", data=form).raise_for_status().json()
                auth = {"Authorization": f"Bearer {token['access_token']}"}
                while not self.stop.is_set():
                    self._read(client, auth)
        except Exception as exc:  # noqa: BLE001 (reported by the main thread)
            if not self.stop.is_set():
                self.error = exc

    def _read(self, client: httpx.Client, auth: dict[str, str]) -> None:
        ticket = client.post("/api/v1/auth/sse-ticket", headers=auth).raise_for_status().json()
        params = {"ticket": ticket["ticket"]}
        timeout = httpx.Timeout(30, read=None)
        with client.stream("GET", "/api/v1/events", params=params, timeout=timeout) as resp:
            resp.raise_for_status()
            event = "message"
            for line in resp.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    arrived = time.time()
                    if event == "hello":
                        self.connected.set()
                    else:
                        self.seen.append((arrived, event, json.loads(line[6:])))


# -- matching --------------------------------------------------------------------------------
def first_after(
    events: list[tuple[float, dict[str, Any]]],
    after_s: float,
    match: Callable[[dict[str, Any]], bool],
) -> float | None:
    for t, ev in events:
        if t >= after_s and match(ev):
            return t
    return None


def measure(
    scripted: list[Scripted], listener: Listener, desk: DeskStream, entrapment_s: float
) -> dict[str, list[float]]:
    notes = list(listener.seen)
    sse = [(t, ev) for t, _name, ev in desk.seen]
    out: dict[str, list[float]] = {
        k: [] for k in ("alarm_stored_s", "case_opened_s", "sse_desk_s", "sse_case_s",
                        "map_update_s", "onset_error_s")
    }  # fmt: skip
    for sc in scripted:
        if sc.kind == "trap":
            _measure_trap(sc, notes, sse, entrapment_s, out)
        else:
            _measure_fault(sc, sse, out)
    return out


Events = list[tuple[float, dict[str, Any]]]


def _measure_trap(
    sc: Scripted, notes: Events, sse: Events, entrapment_s: float, out: dict[str, list[float]]
) -> None:
    eid = sc.elevator.id
    due = (sc.at_ms + entrapment_s * 1000) / 1000

    def is_alarm(ev: dict[str, Any]) -> bool:
        return (ev.get("kind") == "alarm" and ev.get("elevator_id") == eid
                and ev.get("type") == "entrapment" and ev.get("state") == "open")  # fmt: skip

    def is_case(ev: dict[str, Any]) -> bool:
        return ev.get("kind") == "case" and ev.get("elevator_id") == eid

    for key, events, match in (
        ("alarm_stored_s", notes, is_alarm), ("case_opened_s", notes, is_case),
        ("sse_desk_s", sse, is_alarm), ("sse_case_s", sse, is_case),
    ):  # fmt: skip
        t = first_after(events, 0.0, match)
        if t is not None:
            out[key].append(t - due)


def _measure_fault(sc: Scripted, sse: Events, out: dict[str, list[float]]) -> None:
    """Into fault, and back to normal: publish -> the SSE event with the new map status."""
    eid = sc.elevator.id
    for key, want in (("fault", "fault"), ("clear", "normal")):
        sent = sc.published.get(key)
        if sent is None:
            continue

        def is_map(ev: dict[str, Any], want: str = want) -> bool:
            return ev.get("elevator_id") == eid and ev.get("map_status") == want

        t = first_after(sse, sent / 1000, is_map)
        if t is not None:
            out["map_update_s"].append(t - sent / 1000)


def onset_errors(db_url: str, scripted: list[Scripted], entrapment_s: float) -> list[float]:
    """|stored onset - (S + T)|, per entrapment alarm found."""
    traps = {sc.elevator.id: sc.at_ms / 1000 + entrapment_s for sc in scripted if sc.kind == "trap"}
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT elevator_id, opened_at FROM alarms WHERE type = 'entrapment'"
            " AND elevator_id = ANY(%s)",
            (list(traps),),
        ).fetchall()
    return [abs(row[1].timestamp() - traps[row[0]]) for row in rows]


# -- orchestration ---------------------------------------------------------------------------
@dataclasses.dataclass
class Plan:
    elevators: int
    entrapments: int
    status_changes: int
    entrapment_s: float
    spread_s: float
    warmup_s: float
    seed: int

    @property
    def run_s(self) -> float:
        """From the start of the load to the last moment something is expected."""
        return self.warmup_s + self.spread_s + max(self.entrapment_s, 20.0) + 15.0


def seed_database(db_url: str, plan: Plan) -> Fleet:
    from accounts.model import Scope
    from accounts.service import create_user
    from fleet.repository import save_fleet
    from simulators.fleet import generate_fleet

    fleet = generate_fleet(plan.elevators, seed=plan.seed)
    with psycopg.connect(db_url) as conn:
        save_fleet(conn, fleet)
        create_user(conn, DESK_USER, DESK_PASSWORD, Scope("desk"))
        conn.commit()
    return fleet


def choose(fleet: Fleet, plan: Plan, load_start_ms: int) -> list[Scripted]:
    rng = random.Random(plan.seed)
    picked = rng.sample(fleet.elevators, plan.entrapments + plan.status_changes)
    first = load_start_ms + int(plan.warmup_s * 1000)
    span = int(plan.spread_s * 1000)
    out: list[Scripted] = []
    for i, el in enumerate(picked):
        at = first + rng.randrange(max(1, span))
        if i < plan.entrapments:
            # off the due time S + T: the ticker, not a sample, must fire the alarm
            out.append(Scripted(el, "trap", at, phase_ms=rng.randrange(500, 4_500)))
        else:
            out.append(Scripted(el, "fault", at, clear_ms=at + rng.randrange(10_000, 20_000)))
    return out


def base_env(db_url: str, mqtt_url: str, root: str, plan: Plan) -> dict[str, str]:
    return {
        **os.environ,
        "LIFTWATCH_DATABASE_URL": db_url,
        "LIFTWATCH_MQTT_URL": mqtt_url,
        "LIFTWATCH_TOPIC_ROOT": root,
        "LIFTWATCH_INGEST__CLIENT_ID": f"bench-ingest-{uuid.uuid4().hex[:8]}",
        "LIFTWATCH_INGEST__METRICS_PORT": "0",
        "LIFTWATCH_DETECTION__ENTRAPMENT_S": str(plan.entrapment_s),
        "LIFTWATCH_API__JWT_SECRET": secrets.token_hex(24),
    }


def start_system(env: dict[str, str], children: list[Child]) -> str:
    """ingest, dispatch, api; returns the API's base URL once all are ready."""
    port = free_port()
    ingest = Child("ingest", ["ingest"], env)
    children.append(ingest)
    dispatch = Child("dispatch", ["dispatch"], env)
    children.append(dispatch)
    api = Child("api", ["api", "--host", "127.0.0.1", "--port", str(port)], env)
    children.append(api)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: ingest.logged("ingest ready") and ingest.logged("mqtt connected"),
             WAIT_S, "ingest")  # fmt: skip
    wait_for(lambda: dispatch.logged("dispatch running"), WAIT_S, "dispatch")
    wait_for(lambda: _answers(base, api), WAIT_S, "the API")
    pids = " ".join(f"{c.name}={c.proc.pid}" for c in children)
    print(f"processes: {pids}", file=sys.stderr)
    return base


def _answers(base: str, api: Child) -> bool:
    api.check()
    try:
        return httpx.get(f"{base}/api/v1/health", timeout=2).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def stored_statuses(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM telemetry").fetchone()
    return int(row[0]) if row else 0


def expected_all(plan: Plan, scripted: list[Scripted], listener: Listener, desk: DeskStream,
                 ) -> Callable[[], bool]:  # fmt: skip
    """True once every entrapment's case reached the desk and every map change arrived."""

    def done() -> bool:
        found = measure(scripted, listener, desk, plan.entrapment_s)
        faults = sum(len(sc.published) for sc in scripted if sc.kind == "fault")
        return (len(found["sse_case_s"]) >= plan.entrapments
                and len(found["sse_desk_s"]) >= plan.entrapments
                and len(found["map_update_s"]) >= 2 * plan.status_changes
                and faults >= 2 * plan.status_changes)  # fmt: skip

    return done


def start_simulator(
    fleet: Fleet, scripted: list[Scripted], plan: Plan, mqtt_url: str, root: str
) -> Any:
    """The simulator for every elevator not scripted, in a child process."""
    taken = {sc.elevator.id for sc in scripted}
    background = msgspec.structs.replace(
        fleet, elevators=[e for e in fleet.elevators if e.id not in taken]
    )
    ctx = mp.get_context("spawn")
    lag = ctx.Value("d", 0.0, lock=False)
    sim = ctx.Process(
        target=_simulate,
        args=(mqtt_url, msgspec.json.encode(background), root, plan.run_s + 60, plan.seed, lag),
    )
    sim.lag = lag  # type: ignore[attr-defined]
    sim.start()
    print(f"processes: simulator={sim.pid}", file=sys.stderr)
    print(f"load running: {len(background.elevators)} simulated + {len(scripted)} scripted"
          f" terminals; entrapments over {plan.spread_s:.0f} s after {plan.warmup_s:.0f} s",
          file=sys.stderr)  # fmt: skip
    return sim


def await_all(
    plan: Plan, scripted: list[Scripted], listener: Listener, desk: DeskStream,
    children: list[Child], scripts: ScriptedTerminals, sim: Any,
) -> list[float]:  # fmt: skip
    """Wait until everything expected was seen (or the time is up); returns the
    background's lag sampled while the scripted elevators were measured."""
    done = expected_all(plan, scripted, listener, desk)
    deadline = time.monotonic() + plan.run_s + WAIT_S
    first = min(sc.at_ms for sc in scripted) / 1000 - 10
    lags: list[float] = []
    while not done() and time.monotonic() < deadline:
        for child in children:
            child.check()
        if scripts.error is not None or desk.error is not None:
            raise SystemExit(f"load or stream failed: {scripts.error or desk.error!r}")
        if time.time() >= first:
            lags.append(sim.lag.value)
        time.sleep(0.5)
    return lags


def run(plan: Plan, db_url: str, mqtt_url: str) -> dict[str, Any]:
    root = f"bench/{uuid.uuid4().hex[:8]}/v1"
    t0 = time.time()
    fleet = seed_database(db_url, plan)
    print(f"seeded {plan.elevators} elevators in {time.time() - t0:.1f} s", file=sys.stderr)
    children: list[Child] = []
    sim: Any = None
    scripts: ScriptedTerminals | None = None
    listener = Listener(db_url)
    desk: DeskStream | None = None
    try:
        base = start_system(base_env(db_url, mqtt_url, root, plan), children)
        desk = DeskStream(base)
        wait_for(lambda: desk is not None and (desk.connected.is_set() or desk.error is not None),
                 WAIT_S, "the desk's SSE stream")  # fmt: skip
        if desk.error is not None:
            raise SystemExit(f"desk stream failed: {desk.error!r}")
        listener.ready.wait(30)
        scripted = choose(fleet, plan, now_ms())
        sim = start_simulator(fleet, scripted, plan, mqtt_url, root)
        scripts = ScriptedTerminals(mqtt_url, root, scripted)
        scripts.start()
        stored0, wall0 = stored_statuses(db_url), time.time()
        lags = await_all(plan, scripted, listener, desk, children, scripts, sim)
        stored1, wall1 = stored_statuses(db_url), time.time()
        found = measure(scripted, listener, desk, plan.entrapment_s)
        found["onset_error_s"] = onset_errors(db_url, scripted, plan.entrapment_s)
        found["background_lag_s"] = lags
        return report(plan, found, (stored1 - stored0) / (wall1 - wall0))
    finally:
        if scripts is not None:
            scripts.stop.set()
            scripts.thread.join(15)
        if sim is not None:
            sim.terminate()
            sim.join(20)
            if sim.is_alive():
                sim.kill()
        listener.stop.set()
        if desk is not None:
            desk.stop.set()
        for child in reversed(children):
            child.stop()


def report(plan: Plan, found: dict[str, list[float]], msgs_per_s: float) -> dict[str, Any]:
    result: dict[str, Any] = {
        "bench": "live", "elevators": plan.elevators, "entrapments": plan.entrapments,
        "status_changes": plan.status_changes, "entrapment_s": plan.entrapment_s,
    }  # fmt: skip
    print(f"{'measure':16s} {'n':>4s} {'p50 s':>8s} {'p95 s':>8s} {'max s':>8s}")
    for key in ("alarm_stored_s", "case_opened_s", "sse_desk_s", "sse_case_s", "map_update_s",
                "onset_error_s", "background_lag_s"):  # fmt: skip
        s = stats(found[key])
        result[key] = s
        cells = " ".join(f"{v:8.3f}" if isinstance(v, float) else f"{'-':>8s}"
                         for v in (s["p50"], s["p95"], s["max"]))  # fmt: skip
        print(f"{key:16s} {s['n']:4d} {cells}")
    result["messages_per_s"] = round(msgs_per_s, 1)
    result["cpus"] = os.cpu_count()
    result["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    print(f"stored status messages: {msgs_per_s:.0f}/s; load average {result['loadavg']}")
    return result


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elevators", type=int, default=2_000)
    parser.add_argument("--entrapments", type=int, default=30)
    parser.add_argument("--status-changes", type=int, default=30)
    parser.add_argument("--entrapment-s", type=float, default=None,
                        help="T (default: the product's, analytics/config.py)")  # fmt: skip
    parser.add_argument("--spread-s", type=float, default=60.0, help="entrapments start within")
    parser.add_argument("--warmup-s", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.warmup_s < 10:
        raise SystemExit("--warmup-s must be at least 10 (the boarding comes 10 s before a stop)")
    from analytics.config import DetectionSettings
    from storage.scratch import create_database

    db_server = os.environ.get("LIFTWATCH_DATABASE_URL")
    mqtt_url = os.environ.get("LIFTWATCH_MQTT_URL")
    if not db_server or not mqtt_url:
        raise SystemExit("set LIFTWATCH_DATABASE_URL and LIFTWATCH_MQTT_URL (scripts/services)")
    if args.entrapments + args.status_changes > args.elevators:
        raise SystemExit("more scripted elevators than the fleet has")
    plan = Plan(
        args.elevators, args.entrapments, args.status_changes,
        args.entrapment_s or DetectionSettings().entrapment_s, args.spread_s, args.warmup_s,
        args.seed,
    )  # fmt: skip
    with sigterm_as_interrupt():
        scratch = create_database(db_server, "lw_bench_live")
        print(f"database: {scratch.name}", file=sys.stderr)
        try:
            result = run(plan, scratch.url, mqtt_url)
        except KeyboardInterrupt:
            print("interrupted: processes stopped, database dropped", file=sys.stderr)
            raise SystemExit(130) from None
        finally:
            scratch.drop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
