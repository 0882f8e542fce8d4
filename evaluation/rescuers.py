"""Simulated rescuers for the demo: they answer their offers, drive, arrive and free the
passengers through the real dispatch engine, as rescuers' phones would through the API.

Their behaviour (acceptance, answer delay, set-up, travel at urban speeds by hour, time
on site) is :class:`simulators.rescue.RescuerAgents`; durations are multiplied by
``time_scale`` so that a visitor sees a whole rescue within minutes.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import psycopg

from alarms.repository import resolve_alarm
from domain.alarms import RESCUE_TYPES
from domain.geo import haversine_m
from rescue.config import DispatchSettings
from rescue.engine import DispatchEngine
from rescue.errors import RescueError
from rescue.notifications import MqttPublisher, Notifier
from rescue.policy import local_hour
from rescue.repository import cases as case_repository
from rescue.repository import offers as offer_repository
from rescue.repository import rescuers as rescuer_repository
from simulators.rescue import Answer, RescuerAgents

log = logging.getLogger(__name__)

Action = Callable[[], object]


class LiveRescuers:
    """The demo's rescuer agents, driven by pending offers in the database."""

    name = "rescuers"

    def __init__(
        self,
        database_url: str,
        settings: DispatchSettings,
        publisher: MqttPublisher | None = None,
        *,
        seed: int = 1,
        time_scale: float = 0.25,
    ) -> None:
        self.database_url = database_url
        self.settings = settings
        self.publisher = publisher
        self.agents = RescuerAgents(seed)
        self.time_scale = time_scale
        self._heap: list[tuple[float, int, Action]] = []
        self._seq = 0
        self._seen: set[tuple[int, int]] = set()
        self._fire_seen: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rescuers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def _later(self, seconds: float, action: Action) -> None:
        self._seq += 1
        heapq.heappush(
            self._heap, (time.monotonic() + seconds * self.time_scale, self._seq, action)
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.database_url, autocommit=True) as conn:
                    notifier = Notifier(self.publisher, self.settings.notify_topic_root)
                    engine = DispatchEngine(conn, self.settings, notifier=notifier)
                    while not self._stop.wait(0.5):
                        self._poll(conn, engine)
                        self._due()
            except psycopg.Error:
                log.exception("simulated rescuers lost the database; retrying")
                self._stop.wait(2.0)

    def _due(self) -> None:
        now = time.monotonic()
        while self._heap and self._heap[0][0] <= now:
            _, _, action = heapq.heappop(self._heap)
            # An answer too late, a case closed meanwhile: refused, as in life.
            with contextlib.suppress(RescueError):
                action()

    def _poll(self, conn: psycopg.Connection[Any], engine: DispatchEngine) -> None:
        for offer in offer_repository.pending_offers(conn):
            key = (offer.case_id, offer.rescuer_id)
            if key in self._seen:
                continue
            self._seen.add(key)
            answer, delay = self.agents.answer(offer.rescuer_id)
            if answer is Answer.ACCEPT:
                self._later(delay, partial(self._accept, conn, engine, *key))
            elif answer is Answer.DECLINE:
                self._later(delay, partial(engine.decline, *key, reason="busy"))
        for case_id in case_repository.unarrived_fire_service_cases(conn):
            if case_id not in self._fire_seen:
                self._fire_seen.add(case_id)
                arrive = partial(self._arrive, conn, engine, case_id, None)
                self._later(self.agents.fire_service_s(), arrive)

    def _accept(
        self, conn: psycopg.Connection[Any], engine: DispatchEngine, case_id: int, rescuer_id: int
    ) -> None:
        case = engine.accept(case_id, rescuer_id)
        position = rescuer_repository.rescuer_position(conn, rescuer_id)
        start = (position.lon, position.lat) if position else (case.lon, case.lat)
        hour = local_hour(datetime.now(UTC), 8.0)
        drive = self.agents.travel_s(rescuer_id, haversine_m(*start, case.lon, case.lat), hour)
        setup = self.agents.setup_s(rescuer_id)
        actor = f"rescuer:{rescuer_id}"
        self._later(setup, partial(engine.depart, case_id, rescuer_id, actor))
        waypoints = self.agents.positions(start, (case.lon, case.lat), 4)
        for step, waypoint in enumerate(waypoints, start=1):
            self._later(
                setup + drive * step / 4, partial(engine.report_position, rescuer_id, *waypoint)
            )
        self._later(setup + drive, partial(self._arrive, conn, engine, case_id, rescuer_id))

    def _arrive(
        self,
        conn: psycopg.Connection[Any],
        engine: DispatchEngine,
        case_id: int,
        rescuer_id: int | None,
    ) -> None:
        actor = f"rescuer:{rescuer_id}" if rescuer_id is not None else "fire119"
        engine.arrive(case_id, rescuer_id, actor)
        work = self.agents.on_site_s(rescuer_id or 0)
        self._later(work, partial(self._release, conn, engine, case_id, rescuer_id, actor))

    def _release(
        self,
        conn: psycopg.Connection[Any],
        engine: DispatchEngine,
        case_id: int,
        rescuer_id: int | None,
        actor: str,
    ) -> None:
        case = engine.release(case_id, rescuer_id, actor)
        now = datetime.now(UTC)
        with conn.transaction():
            for kind in RESCUE_TYPES:
                resolve_alarm(conn, case.elevator_id, kind, now)
        self._later(60.0, partial(engine.close, case_id, "desk"))
