"""The stream's messages: the samples and terminal events of one batch and one bucket of
elevators, msgpack-encoded (the routing key is the bucket number)."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from domain.telemetry import EventMessage, StatusMessage
from ingest.batch import Batch

__all__ = ["Batch", "StreamBatch", "bucket_of", "decode", "split", "to_batch"]


class StreamBatch(msgspec.Struct, array_like=True):
    statuses: list[tuple[int, StatusMessage]]
    events: list[tuple[int, EventMessage]]
    received_at_ms: int


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(StreamBatch)


def bucket_of(elevator_id: int, buckets: int) -> int:
    return elevator_id % buckets


def split(batch: Batch, buckets: int) -> dict[int, bytes]:
    """The batch's statuses and events grouped by bucket, each group encoded."""
    groups: dict[int, StreamBatch] = {}
    at = batch.received_at_ms
    for elevator_id, status in batch.statuses:
        key = elevator_id % buckets
        group = groups.get(key)
        if group is None:
            group = groups[key] = StreamBatch([], [], at)
        group.statuses.append((elevator_id, status))
    for elevator_id, event in batch.events:
        key = elevator_id % buckets
        group = groups.get(key)
        if group is None:
            group = groups[key] = StreamBatch([], [], at)
        group.events.append((elevator_id, event))
    return {key: _encoder.encode(group) for key, group in groups.items()}


def decode(body: bytes) -> StreamBatch:
    return _decoder.decode(body)


def to_batch(parts: Iterable[StreamBatch]) -> Batch:
    batch = Batch()
    for part in parts:
        batch.statuses.extend(part.statuses)
        batch.events.extend(part.events)
        batch.received_at_ms = max(batch.received_at_ms, part.received_at_ms)
    return batch
