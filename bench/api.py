"""Benchmark of the one map: /api/v1/map at city, district and street zoom on a
250,000-elevator fleet, against a real uvicorn server on 127.0.0.1.

- seeds a fresh database on LIFTWATCH_DATABASE_URL's server with the simulator's fleet
  (``generate_fleet`` + ``save_fleet``), then a realistic share of live state: 2 %
  terminals offline, 0.5 % with an active fault, 0.02 % entrapments, 3 % maintenance due
  (when ``maintenance_plans`` exists);
- starts the API in a child process (its own interpreter: the client does not steal its
  GIL), waits until the map index is loaded;
- requests the map 200 times per zoom level over a 1280 x 800 px viewport (city: zoom 10
  at the city centre; district: zoom 13 at Tianhe; street: zoom 17 at Yuexiu), panning
  the view slightly each time, and reports p50/p95 latency and the response size.

Usage: python bench/api.py [--elevators 250000] [--requests 200]
Prints its figures, one JSON line last:
{"city": {"p50_ms", "p95_ms", "bytes"}, "district": {...}, "street": {...}, ...}
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.security import Principal, Role, create_token
from domain.districts import DISTRICTS
from storage.scratch import create_database

SECRET = "bench-secret-" + "b" * 40


def bench_token(db: str, secret: str = SECRET) -> str:
    """A supervisor token of a real user (tokens are checked against their user row)."""
    from accounts.model import Scope
    from accounts.service import create_user

    with psycopg.connect(db, autocommit=True) as conn:
        account = create_user(conn, "bench", "bench-password", Scope("supervisor"), replace=True)
    principal = Principal("bench", Role.SUPERVISOR, user_id=account.id)
    return create_token(secret, principal, 60, account.token_version)


VIEW_W, VIEW_H = 1280, 800


def seed(db: str, n: int) -> dict[str, float]:
    from fleet.repository import save_fleet
    from simulators.fleet import generate_fleet

    t = time.perf_counter()
    fleet = generate_fleet(n, seed=1)
    generated = time.perf_counter() - t
    with psycopg.connect(db) as conn:
        t = time.perf_counter()
        save_fleet(conn, fleet)
        conn.execute(
            """INSERT INTO elevator_status (elevator_id, ts, seq, car, dir, floor, door_zone,
                   door, passenger, mode, power, online)
               SELECT id, now(), 1, 0, 0, 1, true, 0, false, 1, 0, random() >= 0.02
               FROM elevators"""
        )
        conn.execute(
            """INSERT INTO alarms (elevator_id, type, severity, source, opened_at, last_seen_at)
               SELECT id, CASE WHEN random() < 0.04 THEN 'entrapment' ELSE 'safety_circuit' END,
                      3, 'bench', now(), now()
               FROM elevators WHERE random() < 0.005"""
        )
        has_plans = conn.execute("SELECT to_regclass('maintenance_plans') IS NOT NULL").fetchone()
        if has_plans and has_plans[0]:
            conn.execute(
                """INSERT INTO maintenance_plans (elevator_id, level, interval_days, next_due)
                   SELECT id, 'half_monthly', 15,
                          current_date + CASE WHEN random() < 0.03 THEN -2 ELSE 10 END
                   FROM elevators"""
            )
        conn.commit()
        saved = time.perf_counter() - t
    return {"generate_s": round(generated, 2), "seed_s": round(saved, 2)}


def bbox_at(lon: float, lat: float, zoom: int) -> str:
    """The viewport of VIEW_W x VIEW_H pixels centred on (lon, lat) at ``zoom``."""
    world = 256 * 2**zoom
    x = (lon + 180) / 360 * world
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * world

    def unproject(px: float, py: float) -> tuple[float, float]:
        lo = px / world * 360 - 180
        n = math.pi - 2 * math.pi * py / world
        return lo, math.degrees(math.atan(math.sinh(n)))

    w, n_ = unproject(x - VIEW_W / 2, y - VIEW_H / 2)
    e, s_ = unproject(x + VIEW_W / 2, y + VIEW_H / 2)
    return f"{w:.5f},{s_:.5f},{e:.5f},{n_:.5f}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(db: str, port: int) -> None:
    """Child process: the API on 127.0.0.1:port."""
    import uvicorn

    from api.app import AppConfig, create_app

    app = create_app(AppConfig(database_url=db, mqtt_url=None, jwt_secret=SECRET))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def measure(base: str, tok: str, lon: float, lat: float, zoom: int, n: int) -> dict[str, float]:
    rng = np.random.default_rng(zoom)
    headers = {"Authorization": f"Bearer {tok}"}
    times: list[float] = []
    sizes: list[int] = []
    wire: list[int] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(n + 5):
            # Pan by up to a tenth of the view, as a user dragging the map.
            jitter = 360 / 2**zoom * 0.5 * rng.uniform(-0.1, 0.1, 2)
            box = bbox_at(lon + jitter[0], lat + jitter[1], zoom)
            params: dict[str, str | int] = {"bbox": box, "zoom": zoom}
            t = time.perf_counter()
            r = client.get("/api/v1/map", params=params)
            elapsed = time.perf_counter() - t
            r.raise_for_status()
            if i >= 5:  # warm-up
                times.append(elapsed * 1000)
                sizes.append(len(r.content))
                wire.append(r.num_bytes_downloaded)
        meta = r.json()["meta"]
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
        "bytes": int(np.median(sizes)),  # the GeoJSON document
        "wire_bytes": int(np.median(wire)),  # as sent (gzip)
        "features": len(r.json()["features"]),
        "in_view": int(meta["total"]),
        "mode": meta["mode"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elevators", type=int, default=250_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    server_url = os.environ.get("LIFTWATCH_DATABASE_URL")
    if not server_url:
        sys.exit('set LIFTWATCH_DATABASE_URL (e.g. eval "$(scripts/services start)")')
    scratch = create_database(server_url, "bench_api")
    db = scratch.url
    proc: subprocess.Popen[bytes] | None = None
    try:
        seeded = seed(db, args.elevators)
        print(f"seeded {args.elevators} elevators: {seeded}", file=sys.stderr)
        port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", db, "--port", str(port)],
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
        base = f"http://127.0.0.1:{port}"
        tok = bench_token(db)
        while True:
            try:
                if httpx.get(base + "/api/v1/ui-config", timeout=2).json()["districts"]:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - started > 180:
                sys.exit("the API server did not start")
            time.sleep(0.2)
        ready_s = time.perf_counter() - started
        centre = next(d for d in DISTRICTS if d.name == "Yuexiu").centre
        tianhe = next(d for d in DISTRICTS if d.name == "Tianhe").centre
        results = {
            "city": measure(base, tok, 113.40, 23.25, 10, args.requests),
            "district": measure(base, tok, tianhe[0], tianhe[1], 13, args.requests),
            "street": measure(base, tok, centre[0], centre[1], 17, args.requests),
        }
        for level, r in results.items():
            print(f"{level}: {r}", file=sys.stderr)
        out = {
            **results,
            "elevators": args.elevators,
            "requests": args.requests,
            "server_ready_s": round(ready_s, 2),
            **seeded,
        }
        print(json.dumps(out))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        scratch.drop()


if __name__ == "__main__":
    main()
