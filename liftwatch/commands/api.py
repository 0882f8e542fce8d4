"""`liftwatch api`: serve the REST API and the web UI."""

from __future__ import annotations

import typer

from liftwatch.serve import run_app
from liftwatch.services import build_app
from liftwatch.settings import load_settings

app = typer.Typer()


@app.command("api")
def api_cmd(
    host: str | None = typer.Option(None, help="Bind address (default from settings)."),
    port: int | None = typer.Option(None, help="Port (default from settings)."),
) -> None:
    """Serve the API (needs LIFTWATCH_DATABASE_URL, LIFTWATCH_API__JWT_SECRET)."""
    settings = load_settings()
    run_app(
        build_app(settings),
        host=host or settings.api.host,
        port=port if port is not None else settings.api.port,
    )
