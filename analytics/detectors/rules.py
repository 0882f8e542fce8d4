"""Rule parameters in the units the state machines use (milliseconds, counts).

:func:`rules_from_settings` gives the detectors' rules; :func:`naive_rules` the
comparison baseline: the same fixed thresholds with no debounce, no presence-flicker
tolerance, no inspection-mode suppression and no cross-check of terminal codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analytics.config import DetectionSettings
from analytics.detectors.health import HealthRules


@dataclass(frozen=True, slots=True)
class Rules:
    entrapment_ms: int
    flicker_ms: int
    presence_share: float
    outside_zone_ms: int
    door_open_running_samples: int
    door_open_running_ms: int
    overspeed_factor_1: float
    overspeed_factor_2: float
    overspeed_samples: int
    door_cycles: int
    door_cycles_window_ms: int
    door_open_timeout_ms: int
    door_open_failures: int
    heartbeat_intervals: float
    door_close_reversals: int = 4
    alarm_button_merge_ms: int = 10_000
    # Presence that appears inside a closed, stopped car is not believed (nobody can
    # enter it): the entrapment condition starts only when the car reaches the
    # closed-and-stopped state with the passenger already present.
    presence_must_enter: bool = True
    suppress_in_inspection: bool = True
    cross_check_codes: bool = True
    # Entrapment from all the evidence (analytics.detectors.entrapment) and the sensor
    # health it learns; False: presence at one moment (the old rule, the baseline's).
    evidence: bool = False
    stop_window_ms: int = 10_000
    possible_ms: int = 30_000
    carried_ms: int = 60_000
    health: HealthRules = field(default_factory=HealthRules)


def rules_from_settings(s: DetectionSettings) -> Rules:
    return Rules(
        entrapment_ms=round(s.entrapment_s * 1000),
        flicker_ms=round(s.presence_flicker_s * 1000),
        presence_share=s.entrapment_presence_share,
        outside_zone_ms=round(s.stopped_outside_zone_s * 1000),
        door_open_running_samples=s.door_open_running_samples,
        door_open_running_ms=round(s.door_open_running_s * 1000),
        overspeed_factor_1=s.overspeed_factor,
        overspeed_factor_2=s.overspeed_factor_2,
        overspeed_samples=s.overspeed_samples,
        door_cycles=s.door_cycles_at_floor,
        door_cycles_window_ms=round(s.door_cycles_window_s * 1000),
        door_open_timeout_ms=round(s.door_open_timeout_s * 1000),
        door_open_failures=s.door_open_failures,
        heartbeat_intervals=s.heartbeat_intervals,
        door_close_reversals=s.door_close_reversals,
        evidence=s.entrapment_evidence,
        stop_window_ms=round(s.presence_stop_window_s * 1000),
        possible_ms=round(s.possible_entrapment_s * 1000),
        carried_ms=round(s.carried_window_s * 1000),
        health=HealthRules(
            min_samples=s.health_min_samples,
            stuck_share=s.presence_stuck_share,
            dead_share=s.presence_dead_share,
            load_margin_kg=s.load_margin_kg,
        ),
    )


def naive_rules(s: DetectionSettings) -> Rules:
    """Fixed thresholds only: every glitch, flicker and inspection visit counts."""
    r = rules_from_settings(s)
    return Rules(
        entrapment_ms=r.entrapment_ms,
        flicker_ms=0,
        presence_share=0.0,
        outside_zone_ms=r.outside_zone_ms,
        door_open_running_samples=1,
        door_open_running_ms=0,
        overspeed_factor_1=r.overspeed_factor_1,
        overspeed_factor_2=r.overspeed_factor_2,
        overspeed_samples=1,
        door_cycles=r.door_cycles,
        door_cycles_window_ms=2**62,
        door_open_timeout_ms=r.door_open_timeout_ms,
        door_open_failures=r.door_open_failures,
        heartbeat_intervals=r.heartbeat_intervals,
        door_close_reversals=r.door_close_reversals,
        alarm_button_merge_ms=0,
        suppress_in_inspection=False,
        cross_check_codes=False,
        presence_must_enter=False,
    )
