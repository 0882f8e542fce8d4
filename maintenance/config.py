"""Settings of the 3+2 score, the interval policy and the rescue dispatch."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ScoreSettings(BaseModel):
    # Weights of the five factors: age, company technical level, user-unit management,
    # credit score, AI monitoring. Normalised to sum 1 when used.
    weights: tuple[float, float, float, float, float] = (0.2, 0.2, 0.15, 0.15, 0.3)
    grade_bands: tuple[float, float, float] = (85.0, 70.0, 55.0)  # A >=, B >=, C >=, else D
    statutory_interval_days: int = 15
    cap_days: int = 30
    cap_days_iot: int = 90


class DispatchSettings(BaseModel):
    offer_size: int = Field(3, ge=1, le=20)
    offer_timeout_s: float = Field(60.0, gt=0)
    decision_deadline_s: float = Field(300.0, gt=0)
    road_factor: float = Field(1.4, ge=1)
    urban_arrival_min: float = Field(30.0, gt=0)
    outer_arrival_min: float = Field(60.0, gt=0)
    insurance_trapped_min: float = Field(40.0, gt=0)
