"""Live updates over Server-Sent Events: status changes, alarms, case steps and offers,
filtered by the caller's scope.

EventSource cannot send headers, so a browser first takes a short-lived single-use
ticket (``POST /api/v1/auth/sse-ticket``) and opens ``/api/v1/events?ticket=…``; other
clients send their bearer token or X-API-Key header. Streams are capped per user (429)
and in total (503); a reader too slow to take a write within ``sse_send_timeout_s`` is
dropped, so it never holds the stream's queue or the server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from api.deps import StreamPrincipal
from api.errors import AUTHENTICATED, problem_responses
from api.live import EventHub, StreamLimit, Subscriber

router = APIRouter(prefix="/api/v1", tags=["live"], responses=AUTHENTICATED)

# User-facing messages of this module: keys of the server catalogues (i18n/messages),
# answered in the caller's language by api/errors.py.
MESSAGES = {
    "per_user": "errors.events.per_user",
    "total": "errors.events.total",
}
RETRY_AFTER_S = 10


class SlowReader(Exception):
    """The client did not take a write in time (not an OSError: Starlette would call it a
    disconnect)."""


class LiveStreamResponse(StreamingResponse):
    """An event stream that gives its hub slot back when it ends, and ends when the
    client does not take a write within ``send_timeout_s`` (a slow or stuck reader)."""

    def __init__(
        self, content: AsyncIterator[str], hub: EventHub, sub: Subscriber, send_timeout_s: float
    ) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self._hub = hub
        self._sub = sub
        self._send_timeout_s = send_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, self._bounded(send))
        except SlowReader:
            return  # dropped: the connection closes, the client reconnects and resyncs
        finally:
            self._hub.release(self._sub)

    def _bounded(self, send: Send) -> Send:
        async def bounded(message: Message) -> None:
            try:
                await asyncio.wait_for(send(message), timeout=self._send_timeout_s)
            except TimeoutError:
                raise SlowReader from None

        return bounded


async def _stream(
    request: Request, sub: Subscriber, keepalive: float, max_s: float
) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    yield f"event: hello\ndata: {json.dumps({'role': sub.principal.role.value})}\n\n"
    loop = asyncio.get_running_loop()
    ends = loop.time() + max_s
    while not sub.overflowed:
        left = ends - loop.time()
        if left <= 0:
            return  # the client reconnects (retry) and resynchronises
        try:
            event = await asyncio.wait_for(sub.queue.get(), timeout=min(keepalive, left))
        except TimeoutError:
            if await request.is_disconnected():
                return
            yield ": keepalive\n\n"
            continue
        kind = str(event.get("kind", "message"))
        yield f"event: {kind}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n"
    yield "event: overflow\ndata: {}\n\n"


# 401 also for a used, expired or revoked ticket; 429: too many streams of this user,
# 503: too many in total (both with Retry-After)
LIMITS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "SSE stream"},
    **problem_responses(429),
}


@router.get("/events", response_class=StreamingResponse, responses=LIMITS)
async def live_events(request: Request, principal: StreamPrincipal) -> StreamingResponse:
    """Server-Sent Events; each event's name is its kind (alarm, status, case, offer);
    ``data`` is the JSON event, with ``map_status`` added for an elevator's new status."""
    hub: EventHub = request.app.state.event_hub
    settings = request.app.state.config.api
    try:
        sub = hub.reserve(principal)
    except StreamLimit as limit:
        code = status.HTTP_429_TOO_MANY_REQUESTS if limit.per_user else 503
        message = MESSAGES["per_user"] if limit.per_user else MESSAGES["total"]
        raise HTTPException(code, message, {"Retry-After": str(RETRY_AFTER_S)}) from None
    body = _stream(request, sub, settings.sse_keepalive_s, settings.sse_max_s)
    return LiveStreamResponse(body, hub, sub, settings.sse_send_timeout_s)
