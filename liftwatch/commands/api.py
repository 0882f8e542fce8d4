"""`liftwatch api` and `liftwatch demo`."""

from __future__ import annotations

import typer

from liftwatch.settings import load_settings


def api_cmd(
    host: str | None = typer.Option(None, help="Bind address (default from settings)."),
    port: int | None = typer.Option(None, help="Port (default from settings)."),
) -> None:
    """Serve the API and web UI (needs LIFTWATCH_DATABASE_URL, LIFTWATCH_API__JWT_SECRET)."""
    from liftwatch.serve import run_app
    from liftwatch.services import build_app

    settings = load_settings()
    run_app(
        build_app(settings),
        host=host or settings.api.host,
        port=port if port is not None else settings.api.port,
    )


def demo_cmd(
    port: int = typer.Option(8000, help="API and web UI port."),
    host: str = typer.Option("127.0.0.1", help="Bind address."),
) -> None:
    """Run the whole system with embedded PostgreSQL and MQTT broker."""
    from liftwatch.demo import run_demo

    run_demo(load_settings(), port=port, host=host)


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.command("demo")(demo_cmd)
    app.command("api")(api_cmd)
