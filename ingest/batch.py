"""What ingest hands on, after commit, to the stages behind it (detectors, presence).

Messages are validated and resolved to elevator ids; within a batch they are in arrival
order (a stage that needs event-time order sorts per elevator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from domain.telemetry import EventMessage, StatusMessage


@dataclass(frozen=True)
class PresenceChange:
    elevator_id: int
    online: bool
    at_ms: int


@dataclass
class Batch:
    statuses: list[tuple[int, StatusMessage]] = field(default_factory=list)
    events: list[tuple[int, EventMessage]] = field(default_factory=list)
    presence: list[PresenceChange] = field(default_factory=list)
    received_at_ms: int = 0

    def __len__(self) -> int:
        return len(self.statuses) + len(self.events) + len(self.presence)


class BatchConsumer(Protocol):
    """A stage fed every committed batch, on the ingest worker thread, in commit order.

    It must be fast (it is on the hot path) and must not raise: a failing stage logs and
    counts its error; ingest goes on.
    """

    def consume(self, batch: Batch) -> None: ...

    def tick(self, now_ms: int) -> None:
        """Called about once a second, for time-based rules (timeouts, heartbeats)."""
