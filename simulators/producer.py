"""Message generation for the publisher, ahead of it in a child process.

Simulating and encoding cost about as much CPU as publishing, so ``BatchSource`` runs
:func:`simulators.scenario.message_batches` in a spawned process (the machine's second
core) and hands batches of ready-to-publish ``(ts, topic, is_status, payload)`` to the
publisher through a bounded queue (back pressure: generation runs at most ``depth``
batches ahead). ``depth`` (128 x 2,000 messages) holds a whole 600 s window at the
morning peak of 2,000 elevators (~150k messages), so that the generator works on the
next window while this one is published (with 32, it waited for room and the run fell
~3 s behind at every window). ``process=False`` generates in the calling thread.

``realtime_speed`` (paced runs at speed <= 1, whose clock is the wall clock) lets the
generator release messages that are already due while it sets up the first window
(see ``message_batches(due_ms=...)``): the first statuses of a large fleet go out
within about a second instead of after the whole first window.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import time
from collections.abc import Callable, Generator, Iterator

from domain.fleet import Fleet
from simulators.scenario import ScenarioConfig, message_batches

log = logging.getLogger(__name__)

Batch = list[tuple[int, str, bool, bytes]]  # (event time ms, topic, is a status, JSON)
CHUNK = 2_000


def due_clock(cfg: ScenarioConfig, speed: float) -> Callable[[], int]:
    """Simulated time due now for a real-time run (started at ``cfg.start_ms`` = now)."""
    start = cfg.start_ms

    def due() -> int:
        return start + int((time.time() * 1000 - start) * speed)

    return due


def topic_batches(
    fleet: Fleet, cfg: ScenarioConfig, root: str, realtime_speed: float | None = None
) -> Iterator[Batch]:
    """The scenario's messages in publication order, with their topics, in chunks."""
    status = [f"{root}/{e.terminal_id}/status" for e in fleet.elevators]
    event = [f"{root}/{e.terminal_id}/event" for e in fleet.elevators]
    due = due_clock(cfg, realtime_speed) if realtime_speed is not None else None
    for batch in message_batches(fleet, cfg, due):
        for lo in range(0, len(batch), CHUNK):
            yield [
                (ts, status[i], True, p) if kind == "status" else (ts, event[i], False, p)
                for ts, i, _seq, kind, p in batch[lo : lo + CHUNK]
            ]


def _produce(
    fleet: Fleet,
    cfg: ScenarioConfig,
    root: str,
    realtime_speed: float | None,
    out: mp.Queue,  # type: ignore[type-arg]
) -> None:
    try:
        for batch in topic_batches(fleet, cfg, root, realtime_speed):
            out.put(batch)
        out.put(None)
    except Exception as exc:  # reported to the publisher, which raises it
        log.exception("message generation failed")
        out.put(f"message generation failed: {type(exc).__name__}: {exc}")


class BatchSource:
    """Iterates over message batches, generated in a child process or in line.

    :meth:`start` launches the child early (so that it sets up while the publisher
    connects); :meth:`batches` starts it if that has not been done.
    """

    def __init__(
        self,
        fleet: Fleet,
        cfg: ScenarioConfig,
        root: str,
        process: bool = True,
        depth: int = 128,
        realtime_speed: float | None = None,
    ) -> None:
        self.fleet, self.cfg, self.root = fleet, cfg, root
        self.process = process
        self.depth = depth
        self.realtime_speed = realtime_speed
        self._child: mp.process.BaseProcess | None = None
        self._queue: mp.Queue | None = None  # type: ignore[type-arg]

    def start(self) -> None:
        if not self.process or self._child is not None:
            return
        ctx = mp.get_context("spawn")  # never fork a process with running threads
        self._queue = ctx.Queue(self.depth)
        args = (self.fleet, self.cfg, self.root, self.realtime_speed, self._queue)
        self._child = ctx.Process(target=_produce, args=args, name="sim-generator", daemon=True)
        self._child.start()

    def batches(self) -> Generator[Batch, None, None]:
        if not self.process:
            yield from topic_batches(self.fleet, self.cfg, self.root, self.realtime_speed)
            return
        self.start()
        child, q = self._child, self._queue
        assert child is not None
        assert q is not None
        try:
            while True:
                try:
                    item = q.get(timeout=1.0)
                except queue.Empty:
                    if not child.is_alive():
                        raise RuntimeError(f"generator process exited ({child.exitcode})") from None
                    continue
                if item is None:
                    return
                if isinstance(item, str):
                    raise RuntimeError(item)
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop the child process (if any)."""
        child, q, self._child, self._queue = self._child, self._queue, None, None
        if child is None or q is None:
            return
        if child.is_alive():
            child.terminate()
        child.join(5)
        q.cancel_join_thread()
        q.close()
