"""Fault and event codes reported by monitoring terminals (GB/T 24476 style).

01-08 are the common core across platforms, 09-11 vary; 40-47 are service events and
90 is the alarm button.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class FaultCode(IntEnum):
    SAFETY_CIRCUIT_BROKEN = 1
    DOOR_CLOSING_FAULT = 2
    DOOR_OPENING_FAULT = 3
    STOPPED_OUTSIDE_DOOR_ZONE = 4
    MOVING_WITH_DOOR_OPEN = 5
    RUN_TIME_LIMITER = 6
    FLOOR_POSITION_LOST = 7
    RESTART_PREVENTED = 8
    OVERTRAVEL_TOP = 9
    OVERTRAVEL_BOTTOM = 10
    ENTRAPMENT = 11


class EventCode(IntEnum):
    BACK_TO_NORMAL = 40
    MAIN_POWER_OFF = 41
    OUT_OF_SERVICE = 42
    INSPECTION = 43
    FIRE_RETURN = 44
    FIREFIGHTER = 45
    EMERGENCY_POWER = 46
    EARTHQUAKE = 47
    ALARM_BUTTON = 90


ALL_CODES: frozenset[int] = frozenset(int(c) for c in FaultCode) | frozenset(
    int(c) for c in EventCode
)


class CarStatus(StrEnum):
    STOPPED = "stopped"
    RUNNING = "running"


class Direction(StrEnum):
    NONE = "none"
    UP = "up"
    DOWN = "down"


class DoorState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    OPENING = "opening"
    CLOSING = "closing"
    NO_SIGNAL = "no_signal"


class ServiceMode(StrEnum):
    OUT_OF_SERVICE = "out_of_service"
    NORMAL = "normal"
    INSPECTION = "inspection"
    FIRE_RETURN = "fire_return"
    FIREFIGHTER = "firefighter"
    EMERGENCY_POWER = "emergency_power"
    EARTHQUAKE = "earthquake"
    UNKNOWN = "unknown"


class PowerState(StrEnum):
    NORMAL = "normal"
    CUT = "cut"


# Small integer codes used when these enums are stored in columns or numpy arrays.
# The order is part of the storage format: append only.
CAR_STATUS_IDS = {s: i for i, s in enumerate(CarStatus)}
DIRECTION_IDS = {s: i for i, s in enumerate(Direction)}
DOOR_STATE_IDS = {s: i for i, s in enumerate(DoorState)}
SERVICE_MODE_IDS = {s: i for i, s in enumerate(ServiceMode)}
POWER_STATE_IDS = {s: i for i, s in enumerate(PowerState)}

# The ids that rules, simulators and tests compare columns against.
CAR_RUNNING = CAR_STATUS_IDS[CarStatus.RUNNING]
DOOR_CLOSED = DOOR_STATE_IDS[DoorState.CLOSED]
DOOR_OPEN = DOOR_STATE_IDS[DoorState.OPEN]
DOOR_OPENING = DOOR_STATE_IDS[DoorState.OPENING]
DOOR_CLOSING = DOOR_STATE_IDS[DoorState.CLOSING]
DOOR_NO_SIGNAL = DOOR_STATE_IDS[DoorState.NO_SIGNAL]
MODE_NORMAL = SERVICE_MODE_IDS[ServiceMode.NORMAL]
MODE_INSPECTION = SERVICE_MODE_IDS[ServiceMode.INSPECTION]
MODE_OUT_OF_SERVICE = SERVICE_MODE_IDS[ServiceMode.OUT_OF_SERVICE]
POWER_CUT = POWER_STATE_IDS[PowerState.CUT]
