"""The dispatch service: listens for rescue alarms, supervises cases, sends webhooks.

One thread LISTENs on the live-event channel: a new entrapment or alarm-button alarm
opens its case and sends the first offers at once (well under a second). Every
``poll_interval_s`` it also ticks the engine (alarms whose notification was missed,
expired offers, tier windows, SLA breaches, insurance flags). A second thread delivers
webhooks, so a slow receiver never delays dispatch.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import psycopg

from domain.alarms import RESCUE_TYPES
from rescue.config import DispatchSettings
from rescue.engine import Clock, DispatchEngine, utc_now
from rescue.errors import RescueError
from rescue.notifications import MqttPublisher, Notifier, Post, deliver_due
from rescue.repository import cases as case_repository

log = logging.getLogger(__name__)

_RESCUE_TYPES = frozenset(kind.value for kind in RESCUE_TYPES)


def rescue_alarm_id(payload: str) -> int | None:
    """The alarm id if a live event announces a new rescue-type alarm."""
    try:
        event = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("kind") != "alarm":
        return None
    if event.get("type") not in _RESCUE_TYPES or event.get("state") != "open":
        return None
    alarm_id = event.get("id")
    return alarm_id if isinstance(alarm_id, int) else None


class DispatchService:
    name = "dispatch"

    def __init__(
        self,
        database_url: str,
        settings: DispatchSettings,
        *,
        publisher: MqttPublisher | None = None,
        clock: Clock = utc_now,
        post: Post | None = None,
    ) -> None:
        self.database_url = database_url
        self.settings = settings
        self.publisher = publisher
        self.clock = clock
        self.post = post
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.ready = threading.Event()  # set once LISTEN is in place

    def start(self) -> None:
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._guarded, args=(self._dispatch_loop,), name="dispatch"),
            threading.Thread(target=self._guarded, args=(self._webhook_loop,), name="webhooks"),
        ]
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []

    def _guarded(self, loop: Any) -> None:
        """Run a loop; on a lost connection wait and reconnect until stopped."""
        while not self._stop.is_set():
            try:
                loop()
            except psycopg.OperationalError as exc:
                log.warning("dispatch: database connection lost (%s); reconnecting", exc)
                self._stop.wait(2.0)
            except Exception:
                log.exception("dispatch: %s failed; restarting", threading.current_thread().name)
                self._stop.wait(2.0)

    def _dispatch_loop(self) -> None:
        with (
            psycopg.connect(self.database_url, autocommit=True) as listen,
            psycopg.connect(self.database_url, autocommit=True) as conn,
        ):
            case_repository.listen_for_events(listen)
            notifier = Notifier(self.publisher, self.settings.notify_topic_root)
            engine = DispatchEngine(conn, self.settings, clock=self.clock, notifier=notifier)
            self.ready.set()
            next_tick = 0.0
            while not self._stop.is_set():
                wait = max(0.0, min(0.25, next_tick - time.monotonic()))
                for note in listen.notifies(timeout=wait):
                    alarm_id = rescue_alarm_id(note.payload)
                    if alarm_id is not None:
                        self._open(engine, alarm_id)
                if time.monotonic() >= next_tick:
                    report = engine.tick()
                    for error in report.errors:
                        log.warning("dispatch tick: %s", error)
                    next_tick = time.monotonic() + self.settings.poll_interval_s

    def _open(self, engine: DispatchEngine, alarm_id: int) -> None:
        try:
            ref = engine.open_case_for_alarm(alarm_id)
            log.debug("alarm %d: case %d (%s)", alarm_id, ref.case_id,
                     "opened" if ref.created else "joined")  # fmt: skip
        except RescueError as exc:
            log.warning("alarm %d: no case: %s", alarm_id, exc)

    def _webhook_loop(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop.is_set():
                sent = deliver_due(conn, self.settings, self.clock(), self.post)
                if not sent:
                    self._stop.wait(self.settings.poll_interval_s)
