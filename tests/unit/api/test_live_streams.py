"""Live-event streams: caps per user and in total, and a stuck reader dropped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.config import ApiSettings
from api.live import EventHub, StreamLimit
from api.routers.events import LiveStreamResponse
from api.security import Principal, Role

A = Principal("a", Role.DESK, user_id=1)
B = Principal("b", Role.DESK, user_id=2)


def hub(**settings: Any) -> EventHub:
    return EventHub("postgresql://unused", None, ApiSettings(**settings))  # type: ignore[arg-type]


def test_streams_are_capped_per_user_and_in_total() -> None:
    events = hub(sse_max_streams=3, sse_max_streams_per_user=2)
    first = [events.reserve(A), events.reserve(A)]
    with pytest.raises(StreamLimit) as per_user:
        events.reserve(A)
    assert per_user.value.per_user
    events.reserve(B)
    with pytest.raises(StreamLimit) as total:
        events.reserve(B)
    assert not total.value.per_user
    events.release(first[0])
    events.release(first[0])  # twice is harmless
    assert events.subscriber_count == 2
    events.reserve(A)


async def test_a_stuck_reader_is_dropped_and_gives_its_slot_back() -> None:
    events = hub(sse_max_streams_per_user=1)
    sub = events.reserve(A)
    sent: list[dict[str, Any]] = []

    async def endless() -> AsyncIterator[str]:
        while True:
            yield "event: case\ndata: {}\n\n"

    async def stuck_send(message: Any) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            await asyncio.Event().wait()  # the client never reads

    async def receive() -> Any:
        await asyncio.Event().wait()

    response = LiveStreamResponse(endless(), events, sub, send_timeout_s=0.05)
    scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
    await asyncio.wait_for(response(scope, receive, stuck_send), timeout=10)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert events.subscriber_count == 0
    events.reserve(A)  # the slot is free again
