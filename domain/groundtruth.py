"""What really happened in a simulation: injected faults and look-alikes.

``kind`` is an :class:`domain.alarms.AlarmType` value for faults, or a
:class:`LookAlike` value for situations that resemble a fault but are not one (a
detector that alarms on them raises a false alarm).
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class LookAlike(StrEnum):
    PRESENCE_FLICKER = "presence_flicker"
    LONG_DOOR_HOLD = "long_door_hold"
    INSPECTION = "inspection"


class GroundTruth(msgspec.Struct, frozen=True):
    elevator_id: int
    kind: str
    start_ms: int
    end_ms: int
    is_fault: bool
    detail: str = ""  # e.g. "at_landing" / "between_floors" for entrapments
