"""The receive buffer is bounded in messages and in bytes; a full buffer blocks the
network thread (it stops reading the socket) and never drops a message."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ingest.metrics import IngestMetrics
from ingest.receiver import Receiver

DEADLINE_S = 30.0


def _until(cond: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def _receiver(max_buffer: int, max_bytes: int) -> Receiver:
    metrics = IngestMetrics()
    return Receiver("mqtt://127.0.0.1:1", "t", "root", max_buffer, metrics, 30, max_bytes)


def _feed(receiver: Receiver, payloads: list[bytes]) -> tuple[threading.Thread, list[int]]:
    delivered: list[int] = []

    def run() -> None:
        for i, payload in enumerate(payloads):
            receiver._on_publish(b"root/t/status", payload, i + 1, 1)
            delivered.append(i)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, delivered


def test_byte_bound_blocks_the_reader_until_the_worker_takes() -> None:
    receiver = _receiver(max_buffer=1_000, max_bytes=10_000)
    payloads = [bytes([i % 256]) * 987 for i in range(30)]  # 1000 bytes with the topic
    thread, delivered = _feed(receiver, payloads)
    _until(lambda: len(delivered) == 10, "ten messages buffered")
    # The eleventh would exceed 10,000 bytes: the reader waits instead of dropping it.
    thread.join(0.2)
    assert thread.is_alive()
    assert len(delivered) == 10
    assert receiver.buffered_bytes == 10_000
    taken: list[bytes] = []
    while len(taken) < len(payloads):
        assert receiver.buffered_bytes <= 10_000
        assert len(receiver.buffer) <= 10
        items = receiver.take(4)
        taken.extend(bytes(item[1]) for item in items)
        if not items:
            _until(lambda: len(receiver.buffer) > 0, "the reader to go on")
    thread.join(DEADLINE_S)
    assert taken == payloads  # every message, in order, none dropped
    assert receiver.buffered_bytes == 0


def test_count_bound_still_applies() -> None:
    receiver = _receiver(max_buffer=100, max_bytes=10**9)
    thread, delivered = _feed(receiver, [b"x"] * 150)
    _until(lambda: len(delivered) == 100, "a hundred messages buffered")
    assert thread.is_alive()
    assert len(receiver.buffer) == 100
    receiver.take(100)
    thread.join(DEADLINE_S)
    assert len(delivered) == 150
    assert len(receiver.buffer) == 50


def test_a_message_larger_than_the_bound_is_taken_alone() -> None:
    receiver = _receiver(max_buffer=100, max_bytes=65_536)
    big = b"y" * 100_000
    thread, delivered = _feed(receiver, [b"small", big, b"after"])
    _until(lambda: len(delivered) == 1, "the small message")
    assert thread.is_alive()  # the big one waits for an empty buffer
    assert [bytes(i[1]) for i in receiver.take(10)] == [b"small"]
    _until(lambda: len(delivered) == 2, "the big message")
    assert [bytes(i[1]) for i in receiver.take(10)] == [big]
    thread.join(DEADLINE_S)
    assert [bytes(i[1]) for i in receiver.take(10)] == [b"after"]


def test_stop_releases_a_waiting_reader() -> None:
    receiver = _receiver(max_buffer=100, max_bytes=65_536)
    thread, delivered = _feed(receiver, [b"z" * 40_000, b"z" * 40_000])
    _until(lambda: len(delivered) == 1, "the first message")
    receiver._stopping = True
    thread.join(DEADLINE_S)
    assert not thread.is_alive()
