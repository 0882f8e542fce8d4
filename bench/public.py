"""Benchmark of the public pages (一梯一码): a flood of passengers' reports against one
elevator while a supervisor uses the map, and the stickers of 2,000 elevators.

- seeds a fresh database with the simulator's fleet (``bench/api.py``'s seed) and issues
  every elevator its public code;
- starts the API in a child process; measures the logged-in map (district zoom, Tianhe)
  alone, then again while 1,000 reports (entrapment / fault / complaint in turn) for one
  elevator arrive within a minute from 1,000 client addresses (X-Forwarded-For from
  127.0.0.1, which uvicorn trusts), 16 at a time;
- counts the answers (201 / 429 / 503), the elevator's rescue cases and tickets;
- runs ``liftwatch codes stickers`` on a fresh database holding 2,000 elevators and
  reports the pages and the seconds it took.

Usage: python bench/public.py [--elevators 250000] [--reports 1000] [--stickers 2000]
Prints its figures, one JSON line last.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.districts import DISTRICTS
from public.code_service import issue_codes
from storage.scratch import create_database

ROOT = Path(__file__).resolve().parent.parent


def map_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_map", ROOT / "bench" / "api.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAP = map_bench()


def start_api(db: str) -> tuple[subprocess.Popen[bytes], str]:
    port = MAP.free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "api.py"), "--serve", db, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    while True:
        try:
            if httpx.get(base + "/api/v1/ui-config", timeout=2).json()["districts"]:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.perf_counter() - started > 180:
            sys.exit("the API server did not start")
        time.sleep(0.2)


def flood(base: str, code: str, reports: int, seconds: float) -> dict[str, int]:
    kinds = ("entrapment", "fault", "complaint")
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    began = time.perf_counter()

    def send(i: int, client: httpx.Client) -> None:
        delay = began + i * seconds / reports - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        address = f"10.{i // 62500}.{(i // 250) % 250}.{i % 250}"
        r = client.post(
            f"/api/public/e/{code}/reports",
            json={"kind": kinds[i % 3]},
            headers={"X-Forwarded-For": address},
        )
        with lock:
            statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1

    with httpx.Client(base_url=base, timeout=30) as client, ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: send(i, client), range(reports)))
    statuses["seconds"] = round(time.perf_counter() - began)
    return statuses


def map_during(base: str, tok: str, stop: threading.Event) -> dict[str, float]:
    tianhe = next(d for d in DISTRICTS if d.name == "Tianhe").centre
    times: list[float] = []
    headers = {"Authorization": f"Bearer {tok}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        while not stop.is_set():
            box = MAP.bbox_at(tianhe[0], tianhe[1], 13)
            t = time.perf_counter()
            client.get("/api/v1/map", params={"bbox": box, "zoom": 13}).raise_for_status()
            times.append((time.perf_counter() - t) * 1000)
    return {
        "requests": len(times),
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
    }


def flood_figures(db: str, args: argparse.Namespace) -> dict[str, Any]:
    with psycopg.connect(db, autocommit=True) as conn:
        issue_codes(conn, None, rotate=False)
        row = conn.execute(
            "SELECT elevator_id, code FROM public_codes WHERE retired_at IS NULL"
            " ORDER BY elevator_id LIMIT 1"
        ).fetchone()
    assert row is not None
    elevator, code = int(row[0]), str(row[1])
    proc, base = start_api(db)
    tok = MAP.bench_token(db, MAP.SECRET)
    try:
        quiet = MAP.measure(base, tok, 113.3612, 23.1347, 13, args.requests)
        stop = threading.Event()
        figures: dict[str, Any] = {}
        watcher = threading.Thread(
            target=lambda: figures.update(map_during(base, tok, stop)), daemon=True
        )
        watcher.start()
        answers = flood(base, code, args.reports, args.seconds)
        stop.set()
        watcher.join()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with psycopg.connect(db) as conn:
        cases = conn.execute(
            "SELECT count(*) FROM rescue_cases WHERE elevator_id = %s", (elevator,)
        ).fetchone()
        tickets = conn.execute(
            "SELECT count(*), coalesce(sum(reports), 0) FROM public_tickets WHERE elevator_id = %s",
            (elevator,),
        ).fetchone()
    assert cases is not None
    assert tickets is not None
    return {
        "answers": answers,
        "cases": int(cases[0]),
        "tickets": int(tickets[0]),
        "ticket_reports": int(tickets[1]),
        "map_quiet": {k: quiet[k] for k in ("p50_ms", "p95_ms")},
        "map_during_flood": figures,
    }


def sticker_figures(server_url: str, count: int) -> dict[str, Any]:
    scratch = create_database(server_url, "bench_stickers")
    out = Path(f"/tmp/liftwatch-stickers-{os.getpid()}.pdf")
    try:
        MAP.seed(scratch.url, count)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "liftwatch", "codes", "stickers", "--out", str(out)],
            env={**os.environ, "LIFTWATCH_DATABASE_URL": scratch.url, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - started
        print(done.stderr.strip(), file=sys.stderr)
        pages = out.read_bytes().count(b"/Type /Page\n") or out.read_bytes().count(b"/Type /Page")
        return {
            "elevators": count,
            "pages": pages,
            "seconds": round(seconds, 2),
            "pdf_bytes": out.stat().st_size,
        }
    finally:
        out.unlink(missing_ok=True)
        scratch.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elevators", type=int, default=250_000)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--stickers", type=int, default=2000)
    args = parser.parse_args()
    server_url = os.environ.get("LIFTWATCH_DATABASE_URL")
    if not server_url:
        sys.exit('set LIFTWATCH_DATABASE_URL (e.g. eval "$(scripts/services start)")')
    scratch = create_database(server_url, "bench_public")
    try:
        seeded = MAP.seed(scratch.url, args.elevators)
        print(f"seeded {args.elevators} elevators: {seeded}", file=sys.stderr)
        flood_out = flood_figures(scratch.url, args)
    finally:
        scratch.drop()
    print(f"flood: {flood_out}", file=sys.stderr)
    stickers = sticker_figures(server_url, args.stickers)
    print(f"stickers: {stickers}", file=sys.stderr)
    print(json.dumps({"elevators": args.elevators, "flood": flood_out, "stickers": stickers}))


if __name__ == "__main__":
    main()
