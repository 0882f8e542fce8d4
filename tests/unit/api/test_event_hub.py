"""The event hub: parses NOTIFY payloads, refreshes the map first, fans out by scope."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from api.config import ApiSettings
from api.live import EventHub
from api.map_index import MapIndex
from api.security import Principal, Role
from fleet.map_repository import FleetPositions, StatusFlags


class FakeKeeper:
    def __init__(self) -> None:
        fleet = FleetPositions(
            ids=np.array([1, 2], dtype=np.int32),
            lon=np.array([113.3, 113.4]),
            lat=np.array([23.1, 23.2]),
            company=np.array([7, 8], dtype=np.int32),
            district=np.array([0, 0], dtype=np.int16),
            districts=["Tianhe"],
        )
        empty = np.zeros(0, dtype=np.int64)
        self.index = MapIndex.build(fleet, StatusFlags(empty, empty, empty, empty, empty))
        self.refreshed: list[list[int]] = []

    async def refresh(self, elevator_ids: list[int]) -> dict[int, str]:
        self.refreshed.append(elevator_ids)
        return {i: "entrapment" for i in elevator_ids if i == 1}


async def test_events_are_annotated_and_scoped() -> None:
    keeper = FakeKeeper()
    hub = EventHub("postgresql://unused", keeper, ApiSettings())  # type: ignore[arg-type]
    received: dict[str, list[dict[str, Any]]] = {}
    principals = {
        "company7": Principal("c7", Role.COMPANY, company_id=7),
        "company8": Principal("c8", Role.COMPANY, company_id=8),
        "rescuer": Principal("r", Role.RESCUER, rescuer_id=3),
        "desk": Principal("d", Role.DESK),
    }
    contexts = {name: hub.subscribe(p) for name, p in principals.items()}
    subs = {name: await ctx.__aenter__() for name, ctx in contexts.items()}
    await hub.handle(
        [
            json.dumps({"kind": "alarm", "elevator_id": 1, "type": "entrapment"}),
            "not json",
            json.dumps(["no", "kind"]),
            json.dumps({"kind": "offer", "case_id": 4, "rescuer_id": 3}),
            json.dumps({"kind": "case", "id": 4, "step": "accepted", "company_id": 8}),
        ]
    )
    for name, sub in subs.items():
        received[name] = []
        while not sub.queue.empty():
            received[name].append(sub.queue.get_nowait())
    assert keeper.refreshed == [[1]]
    assert [e["kind"] for e in received["desk"]] == ["alarm", "offer", "case"]
    assert received["company7"] == [
        {"kind": "alarm", "elevator_id": 1, "type": "entrapment", "map_status": "entrapment"}
    ]
    assert [e["kind"] for e in received["company8"]] == ["case"]
    assert [e["kind"] for e in received["rescuer"]] == ["offer"]
    for ctx in contexts.values():
        await ctx.__aexit__(None, None, None)
    assert hub.subscriber_count == 0
