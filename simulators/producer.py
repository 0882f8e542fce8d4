"""Message generation for the publisher, ahead of it in a child process.

Simulating and encoding cost about as much CPU as publishing, so ``BatchSource`` runs
:func:`simulators.scenario.message_batches` in a spawned process (the machine's second
core) and hands batches of ready-to-publish ``(ts, topic, is_status, payload)`` to the
publisher through a bounded queue (back pressure: generation runs at most ``depth``
batches ahead). ``process=False`` generates in the calling thread (tests, one core).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from collections.abc import Generator, Iterator

from domain.fleet import Fleet
from simulators.scenario import ScenarioConfig, message_batches

Batch = list[tuple[int, str, bool, bytes]]  # (event time ms, topic, is a status, JSON)
CHUNK = 2_000


def topic_batches(fleet: Fleet, cfg: ScenarioConfig, root: str) -> Iterator[Batch]:
    """The scenario's messages in publication order, with their topics, in chunks."""
    status = [f"{root}/{e.terminal_id}/status" for e in fleet.elevators]
    event = [f"{root}/{e.terminal_id}/event" for e in fleet.elevators]
    for batch in message_batches(fleet, cfg):
        for lo in range(0, len(batch), CHUNK):
            yield [
                (ts, status[i], True, p) if kind == "status" else (ts, event[i], False, p)
                for ts, i, _seq, kind, p in batch[lo : lo + CHUNK]
            ]


def _produce(fleet: Fleet, cfg: ScenarioConfig, root: str, out: mp.Queue) -> None:  # type: ignore[type-arg]
    try:
        for batch in topic_batches(fleet, cfg, root):
            out.put(batch)
        out.put(None)
    except BaseException as exc:  # reported to the publisher, which raises it
        out.put(f"message generation failed: {type(exc).__name__}: {exc}")


class BatchSource:
    """Iterates over message batches, generated in a child process or in line."""

    def __init__(
        self, fleet: Fleet, cfg: ScenarioConfig, root: str, process: bool = True, depth: int = 32
    ) -> None:
        self.fleet, self.cfg, self.root = fleet, cfg, root
        self.process = process
        self.depth = depth

    def batches(self) -> Generator[Batch, None, None]:
        if not self.process:
            yield from topic_batches(self.fleet, self.cfg, self.root)
            return
        ctx = mp.get_context("spawn")  # never fork a process with running threads
        q: mp.Queue = ctx.Queue(self.depth)  # type: ignore[type-arg]
        child = ctx.Process(
            target=_produce, args=(self.fleet, self.cfg, self.root, q), name="sim-generator",
            daemon=True,
        )  # fmt: skip
        child.start()
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
            if child.is_alive():
                child.terminate()
            child.join(5)
            q.cancel_join_thread()
            q.close()
