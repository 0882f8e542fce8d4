"""Detector rules and thresholds (vendor defaults from the domain notes; all configurable)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DetectionSettings(BaseModel):
    entrapment_s: float = Field(30.0, gt=0)
    presence_flicker_s: float = Field(10.0, ge=0)
    stopped_outside_zone_s: float = Field(45.0, gt=0)
    overspeed_factor: float = Field(1.2, gt=1)
    overspeed_factor_2: float = Field(1.4, gt=1)
    door_cycles_at_floor: int = Field(5, ge=2)
    door_open_timeout_s: float = Field(15.0, gt=0)
    door_open_failures: int = Field(3, ge=1)
