"""Live state of the API process: the map index kept current, and the event hub that
fans PostgreSQL NOTIFY events (channel ``liftwatch_events``) out to SSE clients.

One task LISTENs on a dedicated connection and handles notifications in small batches
(at most ``BATCH_WINDOW_S`` apart): it first refreshes the map status of the elevators
the batch mentions (one query per flag for the whole batch), then forwards each event,
annotated with the elevator's new ``map_status``, to every subscriber allowed to see it.
A second task reloads the whole index every ``map_reload_s`` seconds (new elevators,
score grades and plan dates, anything an event did not announce).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from api.config import ApiSettings
from api.map_index import MapIndex, compute_status
from api.security import Principal, Role
from domain.geo import wgs84_to_gcj02_array
from fleet.map_repository import (
    FleetPositions,
    StatusFlags,
    fleet_fingerprint,
    load_flags,
    load_positions,
)
from storage.events import CHANNEL

log = logging.getLogger(__name__)

BATCH_WINDOW_S = 0.2
QUEUE_SIZE = 1000


class MapKeeper:
    """Owns the current :class:`MapIndex`; full reloads and incremental refreshes."""

    def __init__(self, pool: AsyncConnectionPool, settings: ApiSettings) -> None:
        self._pool = pool
        self._settings = settings
        self._lock = asyncio.Lock()
        self._reloading = False
        self._touched: set[int] = set()
        self.index: MapIndex | None = None
        self._fingerprint: tuple[int, ...] | None = None
        self.loaded_at: float | None = None
        self.load_seconds: float | None = None

    @property
    def _grades(self) -> list[str]:
        return [g.strip().upper() for g in self._settings.high_risk_grades.split(",") if g.strip()]

    def _build(self, fleet: FleetPositions, flags: StatusFlags) -> MapIndex:
        if self._settings.tile_crs == "gcj02":
            lon, lat = wgs84_to_gcj02_array(fleet.lon, fleet.lat)
            return MapIndex.build(fleet, flags, lon, lat)
        return MapIndex.build(fleet, flags)

    async def reload(self) -> None:
        """Reload statuses; positions too when the registry changed (fingerprint)."""
        started = time.perf_counter()
        async with self._lock:
            self._reloading = True
            self._touched = set()
        try:
            async with self._pool.connection() as conn:
                fingerprint = await fleet_fingerprint(conn)
                same_fleet = self.index is not None and fingerprint == self._fingerprint
                fleet = None if same_fleet else await load_positions(conn)
                flags = await load_flags(conn, self._grades)
        except BaseException:
            async with self._lock:
                self._reloading = False
            raise
        async with self._lock:
            if fleet is None and self.index is not None:
                # Same registry: swap in a fresh status array, keep positions and grid.
                self.index.status = compute_status(self.index.ids, flags)
            else:
                assert fleet is not None
                self.index = self._build(fleet, flags)
            self._fingerprint = fingerprint
            self._reloading = False
            touched, self._touched = self._touched, set()
            if touched:
                await self._refresh_locked(sorted(touched))
        self.loaded_at = time.time()
        self.load_seconds = time.perf_counter() - started
        log.info(
            "map index: %d elevators, %s in %.2f s",
            len(self.index),
            "statuses reloaded" if fleet is None else "loaded",
            self.load_seconds,
        )

    async def refresh(self, elevator_ids: list[int]) -> dict[int, str]:
        """Recompute the map status of these elevators from the database."""
        async with self._lock:
            if self._reloading:
                self._touched.update(elevator_ids)
            return await self._refresh_locked(elevator_ids)

    async def _refresh_locked(self, elevator_ids: list[int]) -> dict[int, str]:
        if self.index is None or not elevator_ids:
            return {}
        async with self._pool.connection() as conn:
            flags = await load_flags(conn, self._grades, only=elevator_ids)
        return self.index.update(elevator_ids, flags)


@dataclass(eq=False)
class Subscriber:
    principal: Principal
    queue: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )
    overflowed: bool = False


class StreamLimit(Exception):
    """No more live-event streams: for this caller (``per_user``) or in total."""

    def __init__(self, per_user: bool) -> None:
        super().__init__("per-user stream limit" if per_user else "stream limit")
        self.per_user = per_user


def stream_owner(principal: Principal) -> str:
    """Whose streams count together: the user, or the API key."""
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    return principal.subject


def visible_to(principal: Principal, event: dict[str, Any], company_id: int | None) -> bool:
    """Whether a live event falls within the caller's scope."""
    role = principal.role
    if role in (Role.ADMIN, Role.SUPERVISOR):
        return True
    kind = event.get("kind")
    if role is Role.DESK:
        return kind in ("alarm", "case", "offer", "status")
    if role is Role.COMPANY:
        return company_id is not None and company_id == principal.company_id
    if role is Role.RESCUER:
        return kind in ("case", "offer") and event.get("rescuer_id") == principal.rescuer_id
    return False


class EventHub:
    """LISTEN on the event channel; keep the map current; fan out to subscribers."""

    def __init__(self, database_url: str, keeper: MapKeeper, settings: ApiSettings) -> None:
        self._url = database_url
        self._keeper = keeper
        self._settings = settings
        self._subscribers: set[Subscriber] = set()
        self._per_owner: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.listening = asyncio.Event()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="liftwatch-listen"),
            asyncio.create_task(self._reload_periodically(), name="liftwatch-map-reload"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def reserve(self, principal: Principal) -> Subscriber:
        """A new subscriber, within the caps (else :class:`StreamLimit`); the caller
        must :meth:`release` it when its stream ends."""
        settings = self._settings
        if len(self._subscribers) >= settings.sse_max_streams:
            raise StreamLimit(per_user=False)
        owner = stream_owner(principal)
        if self._per_owner.get(owner, 0) >= settings.sse_max_streams_per_user:
            raise StreamLimit(per_user=True)
        sub = Subscriber(principal, asyncio.Queue(maxsize=settings.sse_queue_size))
        self._subscribers.add(sub)
        self._per_owner[owner] = self._per_owner.get(owner, 0) + 1
        return sub

    def release(self, sub: Subscriber) -> None:
        if sub not in self._subscribers:
            return
        self._subscribers.discard(sub)
        owner = stream_owner(sub.principal)
        left = self._per_owner.get(owner, 1) - 1
        if left > 0:
            self._per_owner[owner] = left
        else:
            self._per_owner.pop(owner, None)

    @contextlib.asynccontextmanager
    async def subscribe(self, principal: Principal) -> AsyncIterator[Subscriber]:
        sub = self.reserve(principal)
        try:
            yield sub
        finally:
            self.release(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def _reload_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._settings.map_reload_s)
            try:
                await self._keeper.reload()
            except (psycopg.Error, OSError):
                log.exception("map index reload failed; keeping the previous one")

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    backoff = 0.5
                    while True:
                        batch = [
                            n.payload
                            async for n in conn.notifies(timeout=BATCH_WINDOW_S, stop_after=500)
                        ]
                        if batch:
                            await self.handle(batch)
            except (psycopg.Error, OSError) as exc:
                self.listening.clear()
                log.warning("event listener lost its connection (%s); retrying", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def handle(self, payloads: list[str]) -> None:
        events: list[dict[str, Any]] = []
        for payload in payloads:
            try:
                event = json.loads(payload)
            except ValueError:
                log.warning("ignoring a malformed live event: %.200s", payload)
                continue
            if isinstance(event, dict) and isinstance(event.get("kind"), str):
                events.append(event)
        elevator_ids = sorted(
            {int(e["elevator_id"]) for e in events if isinstance(e.get("elevator_id"), int)}
        )
        statuses: dict[int, str] = {}
        if elevator_ids:
            try:
                statuses = await self._keeper.refresh(elevator_ids)
            except (psycopg.Error, OSError):
                log.exception("map status refresh failed")
        index = self._keeper.index
        for event in events:
            eid = event.get("elevator_id")
            company = event.get("company_id") if isinstance(event.get("company_id"), int) else None
            if isinstance(eid, int):
                if eid in statuses:
                    event["map_status"] = statuses[eid]
                if index is not None:  # the registry's answer wins over the payload's
                    company = index.company_of(eid)
            self._fan_out(event, company)

    def _fan_out(self, event: dict[str, Any], company_id: int | None) -> None:
        for sub in list(self._subscribers):
            if sub.overflowed or not visible_to(sub.principal, event, company_id):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.overflowed = True  # the stream ends; the client reconnects and resyncs
