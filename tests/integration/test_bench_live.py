"""Smoke test of bench/live.py (the live pipeline's latency benchmark): a tiny fleet
through the real ingest, dispatch and API processes. It checks that every scripted
entrapment and status change is found end to end, not how fast (timings belong to the
benchmark's figures, never to a test)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ENTRAPMENTS, CHANGES = 2, 2
MEASURES = ("alarm_stored_s", "case_opened_s", "sse_desk_s", "sse_case_s", "onset_error_s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_live_bench_finds_every_entrapment_and_status_change(
    pg_server_url: str, mqtt_url: str
) -> None:
    env = {**os.environ, "LIFTWATCH_DATABASE_URL": pg_server_url, "LIFTWATCH_MQTT_URL": mqtt_url}
    args = ["--elevators", "20", "--entrapments", str(ENTRAPMENTS),
            "--status-changes", str(CHANGES), "--entrapment-s", "5", "--spread-s", "5",
            "--warmup-s", "10"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "bench/live.py", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["bench"] == "live"
    assert (result["elevators"], result["entrapments"]) == (20, ENTRAPMENTS)
    for key in MEASURES:
        assert set(result[key]) == {"n", "p50", "p95", "max"}, key
        assert result[key]["n"] == ENTRAPMENTS, (key, done.stderr[-3000:])
    assert result["map_update_s"]["n"] == 2 * CHANGES  # into fault and back, each
    assert result["messages_per_s"] > 0
    # The alarm names its onset: the stop + T, to the millisecond.
    assert abs(result["onset_error_s"]["max"]) < 0.002

    # Cleaned up: its processes are gone and its database dropped.
    pids = [int(p) for p in re.findall(r"=(\d+)", " ".join(
        line for line in done.stderr.splitlines() if line.startswith("processes:")))]  # fmt: skip
    assert len(pids) == 4, done.stderr[-3000:]
    assert not [pid for pid in pids if _alive(pid)]
    name = re.search(r"^database: (\S+)$", done.stderr, re.MULTILINE)
    assert name is not None
    with psycopg.connect(pg_server_url) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name[1],)).fetchone()
    assert left is None
