"""`liftwatch hazards`: automatic hazards from the data, escalation of deadlines passed,
and the hazard indicators (docs/hazards.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from hazards.jobs import escalate, scan
from liftwatch.settings import load_settings
from maintenance.facts import FAULT_TYPES

console = Console()
hazards_app = typer.Typer(help="Hazards (隐患): scan, escalate, indicators.", no_args_is_help=True)


def _at(as_of: str) -> datetime:
    if not as_of:
        return datetime.now(UTC)
    at = datetime.fromisoformat(as_of)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def fault_type_names() -> list[str]:
    return sorted(t.value for t in FAULT_TYPES)


@hazards_app.command("scan")
def scan_cmd(
    as_of: str = typer.Option("", help="scan as of this ISO time (UTC); default now"),
    escalation: bool = typer.Option(True, "--escalate/--no-escalate", help="then escalate"),
) -> None:
    """Raise automatic hazards (recurring faults, expired inspection, lapsed insurance,
    maintenance overdue, condition collapse), then escalate deadlines passed. Idempotent."""
    settings = load_settings()
    at = _at(as_of)
    with psycopg.connect(settings.require_database_url(), autocommit=True) as conn:
        found = scan(conn, at, settings.hazards, fault_type_names())
        table = Table(title=f"automatic hazards as of {at.isoformat(timespec='seconds')}")
        for name in ("rule", "elevators found", "new hazards"):
            table.add_column(name)
        for rule, count in found.found.items():
            table.add_row(rule, str(count), str(found.created[rule]))
        console.print(table)
        summary: dict[str, object] = {"created": found.created, "found": found.found}
        if escalation:
            esc = escalate(conn, at)
            console.print(
                f"escalated {len(esc.escalated)} (level 1: "
                f"{sum(1 for _, lv in esc.escalated if lv == 1)}, level 2: "
                f"{sum(1 for _, lv in esc.escalated if lv == 2)}); alarms raised "
                f"{esc.alarms_raised}, resolved {esc.alarms_resolved}"
            )
            summary["escalated"] = len(esc.escalated)
    print(json.dumps(summary, ensure_ascii=False))


def eval_hazards_cmd(
    elevators: int = typer.Option(2000, min=100, help="size of the simulated fleet"),
    seed: int = typer.Option(7, help="random seed"),
) -> None:
    """A simulated year of hazards through the product's rules and indicators (on a scratch
    database of LIFTWATCH_DATABASE_URL's server): serious-hazard remediation rate against
    the 100 % target, median days to remediate by grade, overdue hazards."""
    from evaluation.hazards_year import lines, run_year

    settings = load_settings()
    result = run_year(settings.require_database_url(), elevators, seed, settings.hazards)
    for line in lines(result):
        console.print(line)
    print(json.dumps(result.summary(), ensure_ascii=False))


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.add_typer(hazards_app, name="hazards")
    groups["eval"].command("hazards")(eval_hazards_cmd)
