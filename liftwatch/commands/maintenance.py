"""`liftwatch score` (recompute the fleet's 3+2 scores and plans) and `liftwatch eval score`
(the back-test on a simulated fleet)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

import psycopg
import typer
from rich.console import Console

from liftwatch.settings import load_settings

console = Console(stderr=True)


def score_cmd(
    as_of: str = typer.Option("", help="score as of this ISO time (UTC); default now"),
) -> None:
    """Recompute every elevator's score, maintenance plan, work orders and overdue alarms."""
    from maintenance.jobs import recompute

    settings = load_settings()
    at = datetime.now(UTC)
    if as_of:
        try:
            at = datetime.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter(f"not an ISO date/time: {as_of!r}") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
    with psycopg.connect(settings.require_database_url(), autocommit=True) as conn:
        report = recompute(conn, settings.score, at)
    console.print(
        f"scored {report.elevators} elevators in {report.total_s:.2f} s"
        f" (read {report.read_s:.2f}, compute {report.compute_s:.3f}, write {report.write_s:.2f});"
        f" grades {report.grades}; {report.eligible} eligible;"
        f" {report.work_orders_opened} work orders opened; {report.overdue_elevators} overdue"
    )
    print(json.dumps(asdict(report)))


def eval_score_cmd(
    elevators: int = typer.Option(20000, min=100, help="size of the simulated fleet"),
    seed: int = typer.Option(7, help="random seed"),
) -> None:
    """Back-test: does the score rank elevators by their faults in the following 90 days?"""
    from evaluation.backtest import run_backtest

    settings = load_settings()
    result = run_backtest(elevators, seed, settings.score)
    for line in result.lines():
        console.print(line)
    print(json.dumps(result.summary()))


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.command("score")(score_cmd)
    groups["eval"].command("score")(eval_score_cmd)
