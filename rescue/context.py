"""What every part of the dispatch engine shares: the connection, settings, clock and
notifier, one-transaction steps, loading and changing a case, recording its timeline.

Every operation is one transaction on the engine's connection (autocommit mode, explicit
transactions). Concurrency is settled by the database: the case row lock serialises
work on one case, conditional updates and partial unique indexes keep one active case
per elevator and per rescuer. Time comes from an injectable clock, so the same code runs
in real time (the service) and in a simulated day (the benchmark).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import psycopg

from rescue.config import DispatchSettings
from rescue.errors import NotFound
from rescue.model import RescueCase
from rescue.notifications import Notifier
from rescue.repository import cases as case_repository

Clock = Callable[[], datetime]

DISPATCHER = "dispatcher"


def utc_now() -> datetime:
    return datetime.now(UTC)


def case_payload(case: RescueCase, step: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": case.id,
        "step": step,
        "state": case.state,
        "elevator_id": case.elevator_id,
        "tier": case.tier,
        "rescuer_id": case.rescuer_id,
        **extra,
    }


class DispatchContext:
    def __init__(
        self,
        conn: psycopg.Connection[Any],
        settings: DispatchSettings,
        *,
        clock: Clock = utc_now,
        notifier: Notifier | None = None,
        urban: Mapping[str, bool] | None = None,
    ) -> None:
        if not conn.autocommit:
            raise ValueError("the dispatch engine needs an autocommit connection")
        self.conn = conn
        self.settings = settings
        self.clock = clock
        self.notifier = notifier or Notifier(topic_root=settings.notify_topic_root)
        self.urban = urban if urban is not None else district_urban()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; its MQTT messages go out only after the commit."""
        try:
            with self.conn.transaction():
                yield
        except BaseException:
            self.notifier.discard()
            raise
        self.notifier.flush()

    def record(self, case: RescueCase, at: datetime, step: str, actor: str, **detail: Any) -> None:
        """Timeline entry plus notification, in the current transaction."""
        case_repository.append_event(self.conn, case.id, at, step, actor, detail)
        self.notifier.case(self.conn, at, case_payload(case, step, actor=actor), case.company_id)

    def load(self, case_id: int, *, lock: bool = True) -> RescueCase:
        case = case_repository.get_case(self.conn, case_id, lock=lock)
        if case is None:
            raise NotFound(f"rescue case {case_id} does not exist")
        return case

    def change(self, case: RescueCase, **columns: Any) -> RescueCase:
        """Store new values of the case's columns; the case as it now is."""
        case_repository.set_case(self.conn, case.id, **columns)
        return replace(case, **columns)


def district_urban() -> dict[str, bool]:
    """Urban flags of the city's districts from :mod:`domain.districts`, when present."""
    try:
        from domain import districts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return {}
    found: dict[str, bool] = {}
    for district in getattr(districts, "DISTRICTS", ()):
        name, urban = getattr(district, "name", None), getattr(district, "urban", None)
        if isinstance(name, str) and isinstance(urban, bool):
            found[name] = urban
    return found
