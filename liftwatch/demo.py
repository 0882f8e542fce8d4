"""`liftwatch demo`: the whole system on one machine with no system services.

Starts embedded PostgreSQL and an in-process MQTT broker (unless LIFTWATCH_DATABASE_URL /
LIFTWATCH_MQTT_URL point at real ones), migrates, seeds a synthetic fleet and demo users,
then runs the simulator, ingest and the API until Ctrl-C. Data persists in the data dir.
"""

from __future__ import annotations

import asyncio
import logging

from rich.console import Console

from liftwatch import embedded
from liftwatch.runner import BackgroundService
from liftwatch.serve import serve_app
from liftwatch.services import build_app
from liftwatch.settings import Settings
from storage.migrate import migrate

log = logging.getLogger(__name__)
console = Console(stderr=True)


def background_services(settings: Settings) -> list[BackgroundService]:
    """The services that run beside the API in the demo, in start order."""
    return []


def run_demo(settings: Settings, port: int, host: str = "127.0.0.1") -> None:
    settings = settings.model_copy(update={"embedded": True})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with embedded.services(settings.data_dir, settings.database_url, settings.mqtt_url) as (
        db_url,
        mqtt_url,
    ):
        settings = settings.with_services(db_url, mqtt_url)
        report = migrate(db_url, settings.timescale)
        console.print(
            f"database ready ({report.backend}, {len(report.applied)} migrations applied)"
        )
        services = background_services(settings)
        started: list[BackgroundService] = []
        try:
            for service in services:
                service.start()
                started.append(service)

            async def announce() -> None:
                console.print(
                    f"liftwatch is running at [bold]http://{host}:{port}/[/]  (Ctrl-C stops)"
                )

            asyncio.run(serve_app(build_app(settings), host, port, on_started=announce))
        finally:
            for service in reversed(started):
                try:
                    service.stop()
                except Exception:
                    log.exception("stopping %s failed", service.name)
    console.print("liftwatch stopped")
