"""Benchmark of the rescuer's phone routes on a real uvicorn server and PostgreSQL: the
screen's read (``GET /rescuers/me/phone``), an action applied (``POST /rescuers/me/actions``)
and the same action resent (answered from the stored outcome), case after case.

- a fresh database on LIFTWATCH_DATABASE_URL's server: one company, one elevator in
  Tianhe, one rescuer 1 km away;
- the API in a thread of this process (the client shares its GIL: figures are an upper
  bound of the server's own time);
- per case: the desk opens it, the phone reads its screen, accepts (and resends the
  accept), arrives with a position 40 m away (and resends), releases; the desk closes it.

Usage: python bench/field.py [--cases 100]
Prints its figures, one JSON line last:
{"cases", "phone_view": {"p50_ms", "p95_ms"}, "action_applied": {...}, "action_replayed": {...}}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import psycopg
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import AppConfig, create_app
from api.security import Principal, Role, create_token
from liftwatch.embedded import free_port
from storage.scratch import create_database

SECRET = "bench-secret-" + "f" * 40
LON, LAT = 113.33, 23.13


def seed(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO maintenance_companies (id, name, tech_level, credit_grade, credit_score)"
            " VALUES (1, '广州示例电梯工程有限公司', 3, 'A', 90)"
        )
        conn.execute(
            "INSERT INTO elevators (id, code, terminal_id, lon, lat, district, address,"
            " building_type, install_date, rated_speed, floors, company_id) VALUES"
            " (1, '44010100001', 't1', %s, %s, 'Tianhe', '天河路 1 号', 'residential',"
            " '2015-01-01', 1.75, 20, 1)",
            (LON, LAT),
        )
        conn.execute(
            "INSERT INTO rescuers (id, name, company_id, home_lon, home_lat, lon, lat,"
            " shift_start, shift_end) VALUES (11, '李师傅', 1, %s, %s, %s, %s, '00:00', '00:00')",
            (LON, LAT + 0.009, LON, LAT + 0.009),
        )


def bearer(url: str, role: Role, rescuer: int | None = None) -> dict[str, str]:
    """A token of a user created for it (tokens name a user row)."""
    name = f"bench-{role.value}"
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO users (username, password_hash, role, rescuer_id)"
            " VALUES (%s, '!', %s, %s) RETURNING id, token_version",
            (name, role.value, rescuer),
        ).fetchone()
    assert row is not None
    principal = Principal(name, role, None, rescuer, user_id=int(row[0]))
    token = create_token(SECRET, principal, 600, int(row[1]))
    return {"Authorization": f"Bearer {token}"}


def run(base: str, url: str, cases: int) -> dict[str, list[float]]:
    desk, phone = bearer(url, Role.DESK), bearer(url, Role.RESCUER, 11)
    out: dict[str, list[float]] = {"phone_view": [], "action_applied": [], "action_replayed": []}
    near = {"lon": LON, "lat": LAT + 40 / 111_195, "accuracy_m": 10}
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in range(cases):
            case = client.post("/api/v1/cases", json={"elevator_code": "44010100001"}, headers=desk)
            case_id = case.raise_for_status().json()["id"]
            t = time.perf_counter()
            client.get("/api/v1/rescuers/me/phone", headers=phone).raise_for_status()
            out["phone_view"].append(time.perf_counter() - t)
            for kind, extra in (("accept", {}), ("arrive", {"position": near}), ("release", {})):
                body = {"action_id": f"{kind}-{n:08d}", "kind": kind, "case_id": case_id, **extra}
                for key in ("action_applied", "action_replayed"):
                    t = time.perf_counter()
                    r = client.post("/api/v1/rescuers/me/actions", json=body, headers=phone)
                    out[key].append(time.perf_counter() - t)
                    r.raise_for_status()
                    assert r.json()["replayed"] is (key == "action_replayed")
            client.post(f"/api/v1/cases/{case_id}/close", headers=desk).raise_for_status()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    args = parser.parse_args()
    server_url = os.environ.get("LIFTWATCH_DATABASE_URL")
    if not server_url:
        sys.exit("set LIFTWATCH_DATABASE_URL to a PostgreSQL server")
    db = create_database(server_url, "lw_bench_field")
    try:
        seed(db.url)
        config = AppConfig(database_url=db.url, mqtt_url=None, jwt_secret=SECRET)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_config=None)
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            samples = run(f"http://127.0.0.1:{port}", db.url, args.cases)
        finally:
            server.should_exit = True
            thread.join(timeout=15)
    finally:
        db.drop()
    figures: dict[str, object] = {"cases": args.cases}
    for name, values in samples.items():
        ms = np.array(values) * 1000
        p50, p95 = (round(float(np.percentile(ms, q)), 2) for q in (50, 95))
        figures[name] = {"n": len(values), "p50_ms": p50, "p95_ms": p95}
        print(f"{name:16s} n={len(values):4d}  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
