"""`liftwatch terminals`: broker credentials in mosquitto's dynamic security plugin.

The admin account comes from ``LIFTWATCH_MQTT_ADMIN_URL``
(``mqtt://admin:<password>@mosquitto:1883``).
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path

import psycopg
import typer
from rich.console import Console

from fleet import provisioning
from fleet.provisioning import ProvisionReport
from liftwatch.settings import load_settings
from messaging import dynsec
from messaging.dynsec import DynsecClient, DynsecError

console = Console(stderr=True)
app = typer.Typer(help="Broker credentials of terminals, companies, rescuers and services.")


def _client() -> DynsecClient:
    try:
        return DynsecClient(load_settings().require_mqtt_admin_url())
    except (DynsecError, OSError) as exc:
        console.print(f"[red]cannot reach the dynamic security plugin: {exc}[/]")
        raise typer.Exit(1) from exc


def _password(password_stdin: bool) -> tuple[str, bool]:
    """The password read from stdin, or a generated one (True: print it)."""
    if not password_stdin:
        return dynsec.new_password(), True
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 12:
        console.print("[red]the password must have at least 12 characters[/]")
        raise typer.Exit(2)
    return password, False


def _write_created(report: ProvisionReport, out: Path | None) -> None:
    """New credentials as CSV (terminal_id,password): to ``out`` (mode 0600) or stdout."""
    if out is None:
        writer = csv.writer(sys.stdout)
        writer.writerows(report.created.items())
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", newline="") as handle:
        csv.writer(handle).writerows(report.created.items())


def _provision_all(out: Path | None, page: int) -> None:
    settings = load_settings()
    started = time.perf_counter()
    with psycopg.connect(settings.require_database_url()) as conn, _client() as client:

        def progress(report: ProvisionReport) -> None:
            _write_created(report, out)
            console.print(f"{len(report.created)} created, {len(report.existing)} existing")

        total = provisioning.provision_registered(
            conn, client, settings.topic_root, page=page, on_page=progress
        )
    console.print(
        f"provisioned {len(total.created)} terminals ({len(total.existing)} already had"
        f" credentials) in {time.perf_counter() - started:.1f} s"
    )


def provision_cmd(
    terminal_id: str | None = typer.Argument(None, help="The terminal (its MQTT user name)."),
    all_terminals: bool = typer.Option(
        False, "--all", "--from-db", help="Every registered terminal without credentials."
    ),
    password_stdin: bool = typer.Option(False, help="Read the password from stdin."),
    out: Path | None = typer.Option(None, help="With --all: append id,password CSV here."),
    page: int = typer.Option(1000, min=1, help="With --all: terminals per database page."),
) -> None:
    """Create a terminal's credentials, or rotate them (the old password stops working)."""
    if all_terminals == (terminal_id is not None):
        console.print("[red]give either a TERMINAL_ID or --all[/]")
        raise typer.Exit(2)
    if terminal_id is None:
        _provision_all(out, page)
        return
    dynsec.check_name(terminal_id)
    password, show = _password(password_stdin)
    with _client() as client:
        created = provisioning.provision_terminal(
            client, load_settings().topic_root, terminal_id, password
        )
    console.print(f"{'created' if created else 'rotated'} credentials of {terminal_id}")
    if show:
        print(password)  # shown once; the broker keeps only its hash


def revoke_cmd(terminal_id: str = typer.Argument(..., help="The terminal.")) -> None:
    """Disable a terminal: it can no longer connect (`provision` enables it again)."""
    with _client() as client:
        provisioning.revoke_terminal(client, terminal_id)
    console.print(f"revoked {terminal_id}")


def subscriber_cmd(
    account: str = typer.Argument(..., help="company-<id> or rescuer-<id>."),
    password_stdin: bool = typer.Option(False, help="Read the password from stdin."),
) -> None:
    """Create or rotate a company's or rescuer's account (its notification topics only)."""
    if not account.startswith(("company-", "rescuer-")):
        console.print("[red]the account must be company-<id> or rescuer-<id>[/]")
        raise typer.Exit(2)
    password, show = _password(password_stdin)
    with _client() as client:
        provisioning.provision_subscriber(client, account, password)
    console.print(f"credentials of {account} set")
    if show:
        print(password)


def services_cmd() -> None:
    """Service roles and accounts; passwords from MQTT_<SERVICE>_PASSWORD (set each run)."""
    passwords = {
        name: os.environ[f"MQTT_{name.upper()}_PASSWORD"]
        for name in dynsec.SERVICES
        if os.environ.get(f"MQTT_{name.upper()}_PASSWORD")
    }
    with _client() as client:
        provisioning.ensure_accounts(client, load_settings().topic_root, passwords)
    console.print(f"service roles set; accounts: {', '.join(sorted(passwords)) or 'none'}")


def register(root: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.command("provision")(provision_cmd)
    app.command("revoke")(revoke_cmd)
    app.command("subscriber")(subscriber_cmd)
    app.command("services")(services_cmd)
    root.add_typer(app, name="terminals")
