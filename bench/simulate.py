"""Simulator publishing benchmark: an accelerated run against the real broker.

Publishes ``--hours`` simulated hours of a ``--elevators`` fleet at ``--speed`` (default:
2,000 elevators, one hour at speed 60, i.e. the target "a simulated hour per wall
minute") through :class:`simulators.publisher.ScenarioPublisher` (generation in a child
process, QoS 1 through :mod:`messaging.fastpub`) to the broker named by
LIFTWATCH_MQTT_URL, on a private topic root. The simulated hour starts at ``--at``
local time (default 08:00, the morning peak, the busiest hour) of the most recent past
day, so the figures do not depend on when the bench runs. The periodic status interval
is the accelerated default (60 s simulated).

``--generate-only`` measures the message generator alone (in this process, no broker).

    python bench/simulate.py [--elevators 2000] [--speed 60] [--hours 1] [--at 8]

Prints progress and one JSON line last: msgs_per_s, wall_s, sim_s, max_lag_s, load1 ...
(``elapsed_s``: first scheduled message to the last; ``sim_s``, the last message's
simulated time, can exceed the duration by a few minutes because journeys requested
before the last window's start are finished after the end: ``elapsed_s`` includes
that tail, ``(sim_s - duration) / speed``.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulators.config import SimulatorSettings
from simulators.demand import LOCAL_TZ
from simulators.fleet import generate_fleet
from simulators.producer import topic_batches
from simulators.publisher import PublishStats, ScenarioPublisher
from simulators.scenario import ScenarioConfig


def peak_start_ms(hour: float, duration_s: float) -> int:
    """The latest local ``hour`` whose simulated span is already over (no future events)."""
    now = datetime.now(LOCAL_TZ)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(hours=hour)
    while start + timedelta(seconds=duration_s) > now:
        start -= timedelta(days=1)
    return int(start.timestamp() * 1000)


def _generate_only(cfg: ScenarioConfig, elevators: int, seed: int) -> dict[str, Any]:
    fleet = generate_fleet(elevators, seed)
    t = time.perf_counter()
    n = sum(len(b) for b in topic_batches(fleet, cfg, "bench/v1"))
    gen_s = time.perf_counter() - t
    return {"generated": n, "generate_s": round(gen_s, 2), "gen_msgs_per_s": round(n / gen_s)}


def run(
    elevators: int, speed: float, hours: float, at: float, seed: int, window: int, gen: bool
) -> dict[str, Any]:
    sim = SimulatorSettings()
    duration = hours * 3600.0
    interval = sim.accelerated_status_interval_s if speed >= 10 else sim.status_interval_s
    cfg = ScenarioConfig(
        seed=seed, start_ms=peak_start_ms(at, duration), duration_s=duration,
        status_interval_s=interval, window_s=min(3600.0, max(60.0, 10.0 * speed)),
    )  # fmt: skip
    load_before = os.getloadavg()
    head = {"elevators": elevators, "speed": speed, "hours": hours, "at_local_hour": at,
            "status_interval_s": interval}  # fmt: skip
    if gen:
        out = head | _generate_only(cfg, elevators, seed)
        out |= {"load1": round(os.getloadavg()[0], 2)}
        print(json.dumps(out))
        return out
    url = os.environ.get("LIFTWATCH_MQTT_URL")
    if not url:
        raise SystemExit('set LIFTWATCH_MQTT_URL (eval "$(scripts/services start)")')
    fleet = generate_fleet(elevators, seed)
    root = f"bench-sim-{uuid.uuid4().hex[:8]}/v1"
    pub = ScenarioPublisher(url, fleet, cfg, speed, root, window)
    last = [0.0]

    def progress(st: PublishStats) -> None:
        if st.elapsed_s - last[0] >= 10:
            last[0] = st.elapsed_s
            done = (st.sim_ms - cfg.start_ms) / 1000
            print(
                f"{st.elapsed_s:6.1f} s: simulated {done:6.0f} s, {st.published} acked,"
                f" lag {st.lag_s:.1f} s, load {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
            )

    t0 = time.monotonic()
    st = pub.run(progress)
    wall = time.monotonic() - t0
    own = resource.getrusage(resource.RUSAGE_SELF)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)  # the generator process
    out = head | {
        "published": st.published, "status": st.status, "events": st.events,
        "sim_s": round((st.sim_ms - cfg.start_ms) / 1000, 1),
        "startup_s": round(st.startup_s, 2), "elapsed_s": round(st.elapsed_s, 2),
        "wall_s": round(wall, 2),
        "msgs_per_s": round(st.published / st.elapsed_s) if st.elapsed_s else 0,
        "lag_s": round(st.lag_s, 2), "max_lag_s": round(st.max_lag_s, 2),
        "cpu_publisher_s": round(own.ru_utime + own.ru_stime, 1),
        "cpu_generator_s": round(child.ru_utime + child.ru_stime, 1),
        "load1": round(os.getloadavg()[0], 2),
        "loadavg_before": [round(x, 2) for x in load_before],
    }  # fmt: skip
    print(json.dumps(out))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elevators", type=int, default=2000)
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--at", type=float, default=8.0, help="local hour the simulation starts")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--window", type=int, default=SimulatorSettings().inflight_window)
    ap.add_argument("--generate-only", action="store_true", help="time the generator alone")
    a = ap.parse_args()
    run(a.elevators, a.speed, a.hours, a.at, a.seed, a.window, a.generate_only)


if __name__ == "__main__":
    main()
