"""What a scenario is (:class:`ScenarioConfig`) and what it yields per elevator
(:class:`ElevatorRun`); the kinds of episodes it injects."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.groundtruth import GroundTruth, LookAlike
from domain.samples import StatusColumns
from domain.telemetry import EventMessage
from simulators.risk import FAULT_KINDS
from simulators.sensors import SensorProfile

DEFAULT_START_MS = 1_772_380_800_000  # 2026-03-02 00:00 Guangzhou time (a Monday)
LOOKALIKES: tuple[str, ...] = tuple(k.value for k in LookAlike)
KINDS: tuple[str, ...] = tuple(k.value for k in FAULT_KINDS) + LOOKALIKES
DAY_S = 86_400.0


@dataclass(frozen=True)
class ScenarioConfig:
    seed: int = 1
    start_ms: int = DEFAULT_START_MS
    duration_s: float = 3600.0
    status_interval_s: float = 5.0
    fault_rate_scale: float = 1.0
    evaluation: bool = False  # inject every kind at eval_per_day, shorter durations
    eval_per_day: float = 2.0
    kinds: frozenset[str] | None = None  # which kinds to inject; None: all of KINDS
    p_report: float = 0.8  # probability that the terminal reports a fault's own code
    window_s: float = 3600.0  # simulation window (state carried across); larger is faster
    # Each elevator draws a sensor and terminal profile (simulators.sensors): what its
    # presence sensor, load cell and reporting make of the car's true state. Off: the
    # built-in flickering presence, true load, 5-s periodic plus change reporting.
    sensor_profiles: bool = False

    @property
    def end_ms(self) -> int:
        return self.start_ms + round(self.duration_s * 1000)

    def enabled(self) -> tuple[str, ...]:
        if self.kinds is None:
            return KINDS
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds: {sorted(unknown)}")
        return tuple(k for k in KINDS if k in self.kinds)


@dataclass
class ElevatorRun:
    elevator_id: int
    terminal_id: str
    status: StatusColumns
    events: list[EventMessage] = field(default_factory=list)
    truth: list[GroundTruth] = field(default_factory=list)
    end_ms: int = 0  # where the run (or this window's piece of it) ends; later messages are later
    profile: SensorProfile | None = None  # the terminal's sensor profile (when drawn)
