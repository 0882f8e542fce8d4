"""Settings of the simulators."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SimulatorSettings(BaseModel):
    elevators: int = Field(2000, ge=1)
    seed: int = 1
    speed: float = Field(1.0, gt=0)
    status_interval_s: float = Field(5.0, gt=0)
    # Periodic status interval (simulated s) of accelerated runs (speed >= 10) unless given:
    # 60 s is one status a second per elevator at speed 60; on-change samples all go out.
    accelerated_status_interval_s: float = Field(60.0, gt=0)
    inflight_window: int = Field(1_000, ge=1, le=60_000)  # unacknowledged QoS 1 publishes
