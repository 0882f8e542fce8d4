"""schemathesis fuzzes every route of the running API (a real uvicorn server on real
PostgreSQL with a seeded fleet) as an admin and as a company user: all checks, every
phase it has (examples, coverage, fuzzing, stateful), zero failures and zero errors.

The OpenAPI document is the contract: a status a route answers but does not document,
a body that does not match its schema, a 500 or a crash all fail this test. The number
of examples per operation keeps the run to a few minutes (LIFTWATCH_SCHEMATHESIS_EXAMPLES
raises it for a deeper run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from api.app import AppConfig
from api.config import ApiSettings
from tests.browser.public_seed import seed_public
from tests.browser.seed import JWT_SECRET, insert_status, insert_telemetry, seed_fleet, token
from tests.fixtures.api_server import ApiServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ST = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("LIFTWATCH_SCHEMATHESIS_EXAMPLES", "5"))


@pytest.fixture(scope="module")
def server(make_database: Callable[[], str], mqtt_url: str) -> Iterator[ApiServer]:
    url = make_database()
    fleet = seed_fleet(url, per_district=2)
    seed_public(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for eid in fleet.elevators:
            insert_status(conn, eid)
        insert_telemetry(conn, 1)
    config = AppConfig(
        database_url=url,
        mqtt_url=mqtt_url,
        jwt_secret=JWT_SECRET,
        api=ApiSettings(expose_docs=True, sse_max_s=2.0, sse_keepalive_s=1.0),
    )
    with ApiServer(config) as running:
        yield running


def _run(server: ApiServer, user: str, report: Path) -> subprocess.CompletedProcess[str]:
    args = [
        str(ST), "--config-file", str(CONFIG), "run", f"{server.base_url}/openapi.json",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(EXAMPLES),
        "--seed", "20261201",
        "--header", f"Authorization: Bearer {token(server.base_url, user)}",
        "--request-timeout", "60",
        "--workers", "1",  # hypothesis's lambda descriptions are not thread-safe on 3.11
        "--no-color",
        "--report", "junit",
        "--report-junit-path", str(report),
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.parametrize("user", ["admin", "company2"])
def test_schemathesis_finds_nothing(server: ApiServer, user: str, tmp_path: Path) -> None:
    result = _run(server, user, tmp_path / "junit.xml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20_000:]
    summary = output.strip().splitlines()[-1]
    assert "failure" not in summary, summary
    assert "error" not in summary, summary
    # Every operation of the document was tested, in every phase.
    assert "Selected: " in output, output[-3_000:]
    selected = output.split("Selected: ", 1)[1].split()[0]
    tested, total = selected.split("/")
    assert tested == total, selected
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in output, output[-3_000:]
