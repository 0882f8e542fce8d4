"""Settings of the 3+2 score, the interval policy and the rescue dispatch."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator, model_validator


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


class DispatchSettings(BaseModel):
    """96333 tiered dispatch: offers, tiers, ETA model, SLA (see docs/dispatch.md)."""

    # Offers: the k nearest by ETA are offered at once; the first to accept wins.
    offer_size: int = Field(3, ge=1, le=20)
    offer_timeout_s: float = Field(40.0, gt=0)
    decision_deadline_s: float = Field(300.0, gt=0)
    # Tiers in use (1 own company, 2 nearest of any company and stations, 3 fire 119).
    tiers: tuple[int, ...] = (1, 2, 3)
    tier1_window_s: float = Field(100.0, ge=0)  # tier 1 may run this long, then tier 2
    tier2_window_s: float = Field(170.0, ge=0)  # then 119 (must end before the deadline)
    tier1_max_eta_min: float = Field(15.0, gt=0)  # own rescuers farther than this: skip tier 1
    tier1_slack_min: float = Field(6.0, ge=0)  # ... or slower than the nearest rescuer by this
    offer_eta_slack_min: float = Field(4.0, ge=0)  # a round: ETA within best + this only
    respect_shifts: bool = True  # only rescuers on shift get offers
    max_offer_attempts: int = Field(2, ge=1, le=5)  # an unanswered offer may ring again
    search_radius_km: float = Field(40.0, gt=0)
    # ETA: great-circle distance x road factor / speed by local time of day.
    road_factor: float = Field(1.4, ge=1)
    utc_offset_h: float = Field(8.0, ge=-12, le=14)  # local time of the city (Beijing time)
    speed_kmh_peak: float = Field(22.0, gt=0)
    speed_kmh_day: float = Field(28.0, gt=0)
    speed_kmh_night: float = Field(36.0, gt=0)
    peak_hours: tuple[tuple[float, float], ...] = ((7.0, 9.5), (17.0, 19.5))
    night_hours: tuple[float, float] = (22.0, 6.0)
    setup_s: float = Field(90.0, ge=0)  # getting to the vehicle, added to every ETA
    # SLA: arrival due after the report; per district overrides in minutes.
    urban_arrival_min: float = Field(30.0, gt=0)
    outer_arrival_min: float = Field(60.0, gt=0)
    outer_districts: tuple[str, ...] = ("Huadu", "Nansha", "Conghua", "Zengcheng")
    district_arrival_min: dict[str, float] = Field(default_factory=dict)
    insurance_trapped_min: float = Field(40.0, gt=0)
    # Notifications.
    notify_topic_root: str = "liftwatch/notify/v1"
    webhook_max_attempts: int = Field(6, ge=1, le=20)
    webhook_backoff_s: float = Field(10.0, gt=0)  # doubled after every failed attempt
    webhook_timeout_s: float = Field(5.0, gt=0)
    poll_interval_s: float = Field(1.0, gt=0)

    @model_validator(mode="after")
    def _check_tiers(self) -> DispatchSettings:
        if not self.tiers or any(t not in (1, 2, 3) for t in self.tiers):
            raise ValueError("dispatch tiers must be a non-empty subset of 1, 2, 3")
        if list(self.tiers) != sorted(set(self.tiers)):
            raise ValueError("dispatch tiers must be ascending and unique")
        if 3 in self.tiers and self.tier1_window_s + self.tier2_window_s > (
            self.decision_deadline_s
        ):
            raise ValueError("tier1_window_s + tier2_window_s must not exceed the deadline")
        return self
