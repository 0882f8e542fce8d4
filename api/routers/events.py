"""Live updates over Server-Sent Events: status changes, alarms, case steps and offers,
filtered by the caller's scope. EventSource cannot send headers, so this endpoint alone
also accepts the token as ``?access_token=``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api.deps import StreamPrincipal
from api.errors import AUTHENTICATED
from api.live import EventHub, Subscriber

router = APIRouter(prefix="/api/v1", tags=["live"], responses=AUTHENTICATED)


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


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE stream"}},
)
async def live_events(request: Request, principal: StreamPrincipal) -> StreamingResponse:
    """Server-Sent Events; each event's name is its kind (alarm, status, case, offer);
    ``data`` is the JSON event, with ``map_status`` added for an elevator's new status."""
    hub: EventHub = request.app.state.event_hub
    settings = request.app.state.config.api

    async def body() -> AsyncIterator[str]:
        async with hub.subscribe(principal) as sub:
            async for chunk in _stream(request, sub, settings.sse_keepalive_s, settings.sse_max_s):
                yield chunk

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
