"""A simulated year of hazards through the product's rules and indicator SQL."""

from __future__ import annotations

import pytest

from evaluation.hazards_year import lines, run_year
from hazards.config import HazardSettings

pytestmark = pytest.mark.integration


def test_a_simulated_year_gives_the_indicators(pg_server_url: str) -> None:
    result = run_year(pg_server_url, 400, 3, HazardSettings())
    by = {g.grade: g for g in result.indicators.by_grade}
    assert set(by) == {"general", "serious"}
    assert sum(g.reported for g in by.values()) == result.hazards
    serious, general = by["serious"], by["general"]
    assert serious.remediation_rate is not None
    assert 0.5 < serious.remediation_rate <= 1.0
    assert serious.median_days is not None
    assert general.median_days is not None
    assert serious.median_days < general.median_days  # shorter deadline, faster fix
    assert result.indicators.overdue_now <= result.indicators.open_total
    assert any("target 100 %" in line for line in lines(result))


def test_cli_scan_is_idempotent_and_user_unit_accounts_are_created(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    from datetime import date, timedelta

    import psycopg
    from typer.testing import CliRunner

    from liftwatch.cli import app
    from tests.browser.seed import seed_fleet

    seed_fleet(fresh_database_url, per_district=1)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE elevators SET inspection_valid_until = %s WHERE id IN (1, 2)",
            (date.today() - timedelta(days=10),),
        )
    monkeypatch.setenv("LIFTWATCH_DATABASE_URL", fresh_database_url)
    runner = CliRunner()
    first = runner.invoke(app, ["hazards", "scan"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output.strip().splitlines()[-1])
    assert summary["created"]["inspection_expired"] == 2
    again = runner.invoke(app, ["hazards", "scan"])
    assert json.loads(again.output.strip().splitlines()[-1])["created"]["inspection_expired"] == 0
    made = runner.invoke(
        app,
        ["users", "create", "--username", "wuye", "--role", "user_unit", "--user-unit-id", "1",
         "--password-stdin"],
        input="s3cret-password\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    missing = runner.invoke(
        app, ["users", "create", "--username", "x", "--role", "user_unit", "--password-stdin"],
        input="s3cret-password\n",
    )  # fmt: skip
    assert missing.exit_code != 0
