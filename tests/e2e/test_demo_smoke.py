"""The embedded demo mode starts with no system service and reports itself healthy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from liftwatch.embedded import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_starts_embedded_services_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFTWATCH_")}
    env["LIFTWATCH_DATA_DIR"] = str(tmp_path / "data")
    log = (tmp_path / "demo.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "liftwatch", "demo", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    health: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/health", timeout=10
                ) as resp:
                    health = json.load(resp)
                    if health.get("status") == "ok":
                        break
            except OSError:
                pass
            time.sleep(0.5)
        assert health == {"status": "ok", "database": "connected", "broker": "connected"}, (
            tmp_path / "demo.log"
        ).read_text()[-3000:]
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    assert code == 0, (tmp_path / "demo.log").read_text()[-3000:]
    assert (tmp_path / "data" / "pg" / "PG_VERSION").exists()  # data persists
