"""`liftwatch demo`: the whole system on one machine with no system services.

Starts embedded PostgreSQL and an in-process MQTT broker (unless LIFTWATCH_DATABASE_URL /
LIFTWATCH_MQTT_URL point at real ones), migrates, seeds a synthetic Guangzhou fleet and
demo users, then runs dispatch, ingest with the detectors, the score job, the simulator
and the API until Ctrl-C. Data persists in the data directory between runs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from dataclasses import replace
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table

from accounts.model import Scope
from accounts.service import create_user
from api.seed import DemoUser, seed_demo_users
from domain.localtime import city_today
from evaluation.rescuers import LiveRescuers
from evaluation.unit_records import seed_unit_records
from fleet.repository import fleet_size, load_fleet, save_fleet
from hazards.jobs import HazardJob
from ingest.detect_stage import DetectStage
from ingest.service import IngestService
from liftwatch import embedded
from liftwatch.commands.hazards import fault_type_names
from liftwatch.runner import BackgroundService
from liftwatch.serve import serve_app
from liftwatch.services import build_app
from liftwatch.settings import Settings
from maintenance.condition import ConditionJob
from maintenance.jobs import ScoreJob
from messaging.client import Publisher
from rescue.service import DispatchService
from simulators.fleet import generate_fleet
from simulators.publisher import SimulatorRunner
from simulators.scenario import ScenarioConfig
from storage.migrate import migrate

log = logging.getLogger(__name__)
console = Console(stderr=True)

# Episodes of each fault kind and look-alike per elevator and day in the demo: far more
# than a real fleet has (with 2,000 elevators about a dozen entrapments an hour).
DEMO_EPISODES_PER_KIND_DAY = 0.15


class _PublisherService:
    """The shared notification publisher as a demo service."""

    name = "mqtt-publisher"

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher

    def start(self) -> None:
        self.publisher.start(wait_s=5)

    def stop(self) -> None:
        self.publisher.stop()


def seed(settings: Settings, database_url: str) -> None:
    """Seed the fleet (first run only) and reset the demo users' passwords."""
    with psycopg.connect(database_url) as conn:
        if fleet_size(conn) == 0:
            n, s = settings.simulator.elevators, settings.simulator.seed
            console.print(f"seeding a synthetic Guangzhou fleet of {n} elevators (seed {s})")
            save_fleet(conn, generate_fleet(n, s))
            conn.commit()
        users = seed_demo_users(conn)
        conn.commit()
        users.extend(_seed_user_units(conn, settings))
    table = Table(title="demo users (passwords are new each run)")
    for col in ("user", "role", "password"):
        table.add_column(col)
    for u in users:
        scope = f" (company {u.company_id})" if u.company_id else ""
        table.add_row(u.username, u.role + scope, u.password)
    console.print(table)


def _seed_user_units(conn: psycopg.Connection[Any], settings: Settings) -> list[DemoUser]:
    """User units' simulated records (first run) and a user-unit account for unit 1."""
    fleet = load_fleet(conn)
    made = seed_unit_records(conn, fleet, settings.simulator.seed, city_today())
    if made:
        console.print(f"seeded {made} user-unit check records (日管控、周排查、月调度)")
    if not any(u.id == 1 for u in fleet.user_units):
        return []
    password = secrets.token_urlsafe(9)
    with conn.transaction():
        create_user(conn, "wuye1", password, Scope("user_unit", user_unit_id=1), replace=True)
    return [DemoUser("wuye1", "user_unit", password, None, None)]


def background_services(settings: Settings) -> list[BackgroundService]:
    """The services that run beside the API, in start order."""
    db = settings.require_database_url()
    mqtt = settings.require_mqtt_url()
    publisher = Publisher(mqtt, "")
    with psycopg.connect(db) as conn:
        fleet = load_fleet(conn)
    # Evaluation mode injects every fault kind and look-alike at a steady rate, so a
    # visitor sees entrapments, dispatches and other alarms within minutes.
    scenario = ScenarioConfig(
        seed=settings.simulator.seed,
        status_interval_s=settings.simulator.status_interval_s,
        evaluation=True,
        eval_per_day=DEMO_EPISODES_PER_KIND_DAY,
    )
    detect = DetectStage(settings.detection, db, publisher)
    return [
        _PublisherService(publisher),
        DispatchService(db, settings.dispatch, publisher=publisher),
        LiveRescuers(db, settings.dispatch, publisher, seed=settings.simulator.seed),
        detect,
        IngestService(settings.ingest, db, mqtt, settings.topic_root, consumers=[detect]),
        ConditionJob(db),
        ScoreJob(db, settings.score),
        HazardJob(db, settings.hazards, fault_type_names()),
        SimulatorRunner(
            mqtt,
            fleet,
            replace(scenario, duration_s=7 * 86_400.0),
            speed=settings.simulator.speed,
            topic_root=settings.topic_root,
            window=settings.simulator.inflight_window,
        ),
    ]


def run_demo(settings: Settings, port: int, host: str = "127.0.0.1") -> None:
    settings = settings.model_copy(update={"embedded": True})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with embedded.services(settings.data_dir, settings.database_url, settings.mqtt_url) as (
        db_url,
        mqtt_url,
    ):
        settings = settings.with_services(db_url, mqtt_url)
        report = migrate(db_url, settings.timescale)
        applied = len(report.applied)
        console.print(f"database ready ({report.backend}, {applied} migrations applied)")
        seed(settings, db_url)
        started: list[BackgroundService] = []
        try:
            for service in background_services(settings):
                service.start()
                started.append(service)
                # Later services (the simulator) must not publish before ingest listens.
                ready = getattr(service, "ready", None)
                if isinstance(ready, threading.Event) and not ready.wait(60):
                    log.warning("%s is not ready after 60 s; going on", service.name)

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
