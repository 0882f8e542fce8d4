"""The `liftwatch` command.

Each module in :mod:`liftwatch.commands` contributes its commands through
``register(app, groups)``; groups are the shared sub-commands (``db``, ``simulate``,
``eval``, ``bench``).
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from liftwatch import commands, logs
from liftwatch.settings import load_settings

app = typer.Typer(
    name="liftwatch",
    help="Elevator safety monitoring, 96333 rescue dispatch and on-demand maintenance.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
GROUPS: dict[str, typer.Typer] = {
    "db": typer.Typer(help="Database schema and housekeeping.", no_args_is_help=True),
    "simulate": typer.Typer(help="Synthetic fleet and simulated terminals.", no_args_is_help=True),
    "eval": typer.Typer(
        help="Evaluate detectors, score and dispatch against ground truth.", no_args_is_help=True
    ),
    "bench": typer.Typer(help="Benchmarks (each prints one JSON line last).", no_args_is_help=True),
}


@app.callback()
def _configure() -> None:
    logs.configure(load_settings().log_level)


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app, GROUPS)
    for name, group in GROUPS.items():
        if group.registered_commands or group.registered_groups:
            app.add_typer(group, name=name)


_register_all()


def main() -> None:
    app()
