"""Streaming alarm detectors: per-elevator state machines fed status columns and
terminal events in event-time order (pure: no I/O)."""

from analytics.detectors.elevator import ElevatorDetector
from analytics.detectors.fleet import FleetDetector
from analytics.detectors.model import AlarmEvent, ElevatorSpec
from analytics.detectors.rules import Rules, naive_rules, rules_from_settings

__all__ = [
    "AlarmEvent",
    "ElevatorDetector",
    "ElevatorSpec",
    "FleetDetector",
    "Rules",
    "naive_rules",
    "rules_from_settings",
]
