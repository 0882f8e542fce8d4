"""Settings of the 3+2 score and the interval policy."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


class ScoreSettings(BaseModel):
    """The 3+2 score and the on-demand interval policy (docs/maintenance.md).

    Scores run 0 (worst) .. 100 (best); a high total means low risk. Grade A is best.
    """

    # Weights of the five factors: age, company technical level, user-unit management,
    # credit score, AI monitoring. Normalised to sum 1 when used. Our design, checked
    # with the back-test (liftwatch eval score); docs/maintenance.md gives the reasoning.
    weights: tuple[float, float, float, float, float] = (0.15, 0.2, 0.2, 0.1, 0.35)
    grade_bands: tuple[float, float, float] = (85.0, 70.0, 55.0)  # A >=, B >=, C >=, else D
    statutory_interval_days: int = Field(15, ge=1)
    cap_days: int = Field(30, ge=1)  # Shenzhen: eligible, within 1 month
    cap_days_iot: int = Field(90, ge=1)  # Shenzhen: within 3 months with IoT connected
    # Half-monthly-item interval of an eligible elevator by grade A, B, C, D (then capped).
    grade_interval_days: tuple[int, int, int, int] = (90, 60, 30, 15)
    # "IoT connected with normal data exchange": online at least this share of 30 days.
    iot_normal_online_rate: float = Field(0.95, ge=0, le=1)
    # An entrapment or serious fault since the last visit: a visit within this many days.
    urgent_visit_days: int = Field(3, ge=0)
    # Guangzhou 2024 company conditions (off by default): paperless maintenance with an
    # on-time rate >= gz_min_on_time_rate and >= gz_min_elevators elevators maintained.
    guangzhou_company_rules: bool = False
    gz_min_on_time_rate: float = Field(0.95, ge=0, le=1)
    gz_min_elevators: int = Field(400, ge=0)
    # TSG T5002 periods of the higher item levels (each includes the levels below).
    quarterly_days: int = Field(90, ge=1)
    half_yearly_days: int = Field(182, ge=1)
    yearly_days: int = Field(365, ge=1)
    # Company on-time rate (docs/maintenance.md, company factor): the maintenance visits
    # of the last on_time_window_days are judged, each against the visit before it (looked
    # for this far back); a visit up to on_time_grace_days after its interval is on time.
    on_time_window_days: int = Field(180, ge=1)
    on_time_lookback_days: int = Field(365, ge=0)
    on_time_grace_days: int = Field(3, ge=0)
    # A maintenance record may be entered at most this long after the work ended (and
    # never for work started before its work order was issued): no back-dating.
    record_grace_h: float = Field(24.0, ge=0)
    work_order_horizon_days: int = Field(7, ge=0)  # open work orders this far ahead
    job_interval_s: float = Field(86400.0, gt=0)  # the score job runs daily

    @field_validator("weights")
    @classmethod
    def _check_weights(
        cls, v: tuple[float, float, float, float, float]
    ) -> tuple[float, float, float, float, float]:
        if any(w < 0 for w in v) or sum(v) <= 0:
            raise ValueError("weights must be >= 0 with a positive sum")
        return v

    @field_validator("grade_bands")
    @classmethod
    def _check_bands(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if not (100 >= v[0] >= v[1] >= v[2] >= 0):
            raise ValueError("grade_bands must be A >= B >= C within 0..100")
        return v

    @field_validator("grade_interval_days")
    @classmethod
    def _check_intervals(cls, v: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        if any(d < 1 for d in v):
            raise ValueError("grade_interval_days must be >= 1")
        return v
