"""`liftwatch db`: schema migrations and telemetry housekeeping."""

from __future__ import annotations

import psycopg
import typer
from rich.console import Console

from liftwatch.settings import load_settings

console = Console(stderr=True)


def migrate_cmd() -> None:
    """Apply pending migrations (idempotent: a second run changes nothing)."""
    from storage.migrate import migrate

    settings = load_settings()
    report = migrate(settings.require_database_url(), settings.timescale)
    for name in report.applied:
        console.print(f"applied [bold]{name}[/]")
    console.print(
        f"backend: {report.backend}; {len(report.applied)} applied,"
        f" {report.already} already present"
    )


def maintain_cmd() -> None:
    """Create upcoming telemetry partitions, drop expired ones, refresh daily statistics,
    delete expired dead letters, finished webhook deliveries, terminal events and rescuer
    actions."""
    from storage.housekeeping import apply_record_retention
    from storage.telemetry_admin import apply_retention, ensure_partitions, refresh_daily

    settings = load_settings()
    with psycopg.connect(settings.require_database_url(), autocommit=True) as conn:
        created = ensure_partitions(conn)
        dropped = apply_retention(conn, settings.telemetry_retention_days)
        refresh_daily(conn)
        records = apply_record_retention(conn, settings.retention)
    console.print(f"partitions created {created}, dropped {dropped}; daily statistics refreshed")
    r = settings.retention
    console.print(
        f"deleted {records.dead_letters} dead letters, {records.webhook_deliveries} webhook"
        f" deliveries, {records.terminal_events} terminal events, {records.rescuer_actions}"
        f" rescuer actions (retention: {r.dead_letter_days}/{r.webhook_delivery_days}/"
        f"{r.terminal_event_days}/{r.rescuer_action_days} days)"
    )


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    groups["db"].command("migrate")(migrate_cmd)
    groups["db"].command("maintain")(maintain_cmd)
