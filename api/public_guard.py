"""Abuse guards of the public pages, per API process: token buckets per client address
and per elevator code, and a gate that lets public requests hold only a few of the pool's
connections (the rest wait in a short queue, or are told to retry), so a flood of
passengers' reports never starves logged-in users."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import HTTPException, Request, status

from public.config import PublicSettings
from public.policy import RateLimiter

RETRY = {"Retry-After": "30"}


class Gate:
    """At most ``slots`` requests inside; at most ``queue_max`` waiting for a slot."""

    def __init__(self, slots: int, queue_max: int) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._queue_max = queue_max
        self.waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked() and self.waiting >= self._queue_max:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "errors.public.busy",  # a catalogue key (docs/ui.md)
                headers=RETRY,
            )
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._slots.release()


class PublicGuard:
    def __init__(self, settings: PublicSettings) -> None:
        self.settings = settings
        self.reports_by_address = RateLimiter(settings.reports_per_address)
        self.reports_by_code = RateLimiter(settings.reports_per_elevator)
        self.views_by_address = RateLimiter(settings.views_per_address)
        self.gate = Gate(settings.db_slots, settings.queue_max)
        self.refused = 0

    def check_view(self, address: str) -> None:
        if not self.views_by_address.allow(address, time.monotonic()):
            self._refuse()

    def check_report(self, address: str, code: str) -> None:
        now = time.monotonic()
        if not self.reports_by_address.allow(address, now):
            self._refuse()
        if not self.reports_by_code.allow(code, now):
            self._refuse()

    def _refuse(self) -> None:
        self.refused += 1
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "errors.public.too_many",
            headers=RETRY,
        )


def public_settings(request: Request) -> PublicSettings:
    """The app's public settings (``app.state.public_settings``), or the defaults."""
    settings = getattr(request.app.state, "public_settings", None)
    return settings if isinstance(settings, PublicSettings) else PublicSettings()


def guard_of(request: Request) -> PublicGuard:
    guard = getattr(request.app.state, "public_guard", None)
    if not isinstance(guard, PublicGuard):
        guard = PublicGuard(public_settings(request))
        request.app.state.public_guard = guard
    return guard


def client_address(request: Request) -> str:
    """The caller's address (uvicorn resolves X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else "unknown"
