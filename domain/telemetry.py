"""The MQTT wire contract of monitoring terminals (schema version 1).

Topics, per terminal (``<terminal>`` is the terminal id, which is also its MQTT user):

- ``liftwatch/v1/<terminal>/status``  periodic status, QoS 1
- ``liftwatch/v1/<terminal>/event``   fault/event codes as they happen, QoS 1
- ``liftwatch/v1/<terminal>/online``  retained ``{"v":1,"online":true}``; the last will
  publishes ``{"v":1,"online":false}`` retained.

Every message carries ``v`` (schema version), ``seq`` (the terminal's monotonic sequence
number, shared by status and event messages) and ``ts`` (event time, integer
milliseconds since the Unix epoch, UTC). These structs only describe shape and types;
range checks live in :mod:`domain.validation`.
"""

from __future__ import annotations

import msgspec

from domain.codes import CarStatus, Direction, DoorState, PowerState, ServiceMode

SCHEMA_VERSION = 1
TOPIC_ROOT = "liftwatch/v1"


class Counters(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    run_hours: float = 0.0
    runs: int = 0
    door_cycles: int = 0


class StatusMessage(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """Periodic real-time status of one car."""

    v: int
    seq: int
    ts: int
    car: CarStatus
    dir: Direction
    floor: int
    door_zone: bool
    door: DoorState
    passenger: bool
    mode: ServiceMode
    power: PowerState = PowerState.NORMAL
    speed: float = 0.0
    load: float = 0.0
    leveling_mm: float = 0.0
    counters: Counters = Counters()
    analog: dict[str, float] = {}


class EventMessage(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """A fault (01-11) or event (40-47, 90) code raised or cleared by the terminal."""

    v: int
    seq: int
    ts: int
    code: int
    active: bool = True
    floor: int | None = None
    detail: str = ""


class OnlineMessage(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    v: int
    online: bool
    ts: int | None = None


def status_topic(terminal: str, root: str = TOPIC_ROOT) -> str:
    return f"{root}/{terminal}/status"


def event_topic(terminal: str, root: str = TOPIC_ROOT) -> str:
    return f"{root}/{terminal}/event"


def online_topic(terminal: str, root: str = TOPIC_ROOT) -> str:
    return f"{root}/{terminal}/online"


def parse_topic(topic: str, root: str = TOPIC_ROOT) -> tuple[str, str] | None:
    """Split ``<root>/<terminal>/<kind>`` into (terminal, kind); None if it is not one."""
    prefix = root + "/"
    if not topic.startswith(prefix):
        return None
    rest = topic[len(prefix) :].split("/")
    if len(rest) != 2 or not rest[0] or rest[1] not in ("status", "event", "online"):
        return None
    return rest[0], rest[1]
