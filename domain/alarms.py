"""Alarm types, their severities, and how terminal fault codes map onto them.

Detectors (telemetry rules), terminals (reported codes), presence, maintenance and the
desk all raise alarms of these types; the simulators' ground truth uses the same names.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from domain.codes import EventCode, FaultCode


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    MAJOR = 3
    CRITICAL = 4


class AlarmType(StrEnum):
    ENTRAPMENT = "entrapment"  # detail "at_landing" or "between_floors"
    ALARM_BUTTON = "alarm_button"
    STOPPED_OUTSIDE_DOOR_ZONE = "stopped_outside_door_zone"
    DOOR_OPEN_WHILE_RUNNING = "door_open_while_running"  # moving with doors open
    OVERSPEED = "overspeed"
    OVERTRAVEL_TOP = "overtravel_top"
    OVERTRAVEL_BOTTOM = "overtravel_bottom"
    REPEATED_DOOR_CYCLES = "repeated_door_cycles"
    DOOR_FAILS_TO_OPEN = "door_fails_to_open"
    DOOR_FAILS_TO_CLOSE = "door_fails_to_close"
    POWER_CUT = "power_cut"
    TERMINAL_OFFLINE = "terminal_offline"
    SAFETY_CIRCUIT = "safety_circuit"
    RUN_TIME_LIMITER = "run_time_limiter"
    FLOOR_POSITION_LOST = "floor_position_lost"
    RESTART_PREVENTED = "restart_prevented"
    ANOMALY = "anomaly"
    MAINTENANCE_OVERDUE = "maintenance_overdue"
    HAZARD_OVERDUE = "hazard_overdue"  # a hazard's remediation deadline passed (隐患逾期)


SEVERITY: dict[AlarmType, Severity] = {
    AlarmType.ENTRAPMENT: Severity.CRITICAL,
    AlarmType.ALARM_BUTTON: Severity.CRITICAL,
    AlarmType.DOOR_OPEN_WHILE_RUNNING: Severity.CRITICAL,
    AlarmType.OVERSPEED: Severity.CRITICAL,
    AlarmType.OVERTRAVEL_TOP: Severity.MAJOR,
    AlarmType.OVERTRAVEL_BOTTOM: Severity.MAJOR,
    AlarmType.STOPPED_OUTSIDE_DOOR_ZONE: Severity.MAJOR,
    AlarmType.SAFETY_CIRCUIT: Severity.MAJOR,
    AlarmType.RUN_TIME_LIMITER: Severity.MAJOR,
    AlarmType.FLOOR_POSITION_LOST: Severity.MAJOR,
    AlarmType.RESTART_PREVENTED: Severity.MAJOR,
    AlarmType.POWER_CUT: Severity.MAJOR,
    AlarmType.REPEATED_DOOR_CYCLES: Severity.WARNING,
    AlarmType.DOOR_FAILS_TO_OPEN: Severity.WARNING,
    AlarmType.DOOR_FAILS_TO_CLOSE: Severity.WARNING,
    AlarmType.TERMINAL_OFFLINE: Severity.WARNING,
    AlarmType.ANOMALY: Severity.INFO,
    AlarmType.MAINTENANCE_OVERDUE: Severity.WARNING,
    AlarmType.HAZARD_OVERDUE: Severity.MAJOR,
}

# Alarm types that hand over to 96333 rescue dispatch.
RESCUE_TYPES: frozenset[AlarmType] = frozenset({AlarmType.ENTRAPMENT, AlarmType.ALARM_BUTTON})

# What a terminal-reported code means as an alarm.
CODE_ALARM: dict[int, AlarmType] = {
    FaultCode.SAFETY_CIRCUIT_BROKEN: AlarmType.SAFETY_CIRCUIT,
    FaultCode.DOOR_CLOSING_FAULT: AlarmType.DOOR_FAILS_TO_CLOSE,
    FaultCode.DOOR_OPENING_FAULT: AlarmType.DOOR_FAILS_TO_OPEN,
    FaultCode.STOPPED_OUTSIDE_DOOR_ZONE: AlarmType.STOPPED_OUTSIDE_DOOR_ZONE,
    FaultCode.MOVING_WITH_DOOR_OPEN: AlarmType.DOOR_OPEN_WHILE_RUNNING,
    FaultCode.RUN_TIME_LIMITER: AlarmType.RUN_TIME_LIMITER,
    FaultCode.FLOOR_POSITION_LOST: AlarmType.FLOOR_POSITION_LOST,
    FaultCode.RESTART_PREVENTED: AlarmType.RESTART_PREVENTED,
    FaultCode.OVERTRAVEL_TOP: AlarmType.OVERTRAVEL_TOP,
    FaultCode.OVERTRAVEL_BOTTOM: AlarmType.OVERTRAVEL_BOTTOM,
    FaultCode.ENTRAPMENT: AlarmType.ENTRAPMENT,
    EventCode.MAIN_POWER_OFF: AlarmType.POWER_CUT,
    EventCode.ALARM_BUTTON: AlarmType.ALARM_BUTTON,
}
