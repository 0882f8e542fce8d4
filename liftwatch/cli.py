"""The `liftwatch` command."""

from __future__ import annotations

import typer

from liftwatch import logs
from liftwatch.commands import api as api_commands
from liftwatch.commands import db as db_commands
from liftwatch.settings import load_settings

app = typer.Typer(
    name="liftwatch",
    help="Elevator safety monitoring, 96333 rescue dispatch and on-demand maintenance.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db_commands.app, name="db")
app.registered_commands.extend(api_commands.app.registered_commands)


@app.callback()
def _configure() -> None:
    logs.configure(load_settings().log_level)


@app.command()
def demo(
    port: int = typer.Option(8000, help="API and web UI port."),
    host: str = typer.Option("127.0.0.1", help="Bind address."),
) -> None:
    """Run the whole system with embedded PostgreSQL and MQTT broker."""
    from liftwatch.demo import run_demo

    run_demo(load_settings(), port=port, host=host)


def main() -> None:
    app()
