"""Settings of the 96333 rescue dispatch."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, Field, field_validator, model_validator


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
    # Total time of one delivery attempt, connect to status line: a server that answers
    # byte by byte is cut here, not only when one read stalls.
    webhook_deadline_s: float = Field(10.0, gt=0, le=120)
    webhook_max_per_company: int = Field(10, ge=1, le=1000)
    # Networks a webhook may reach although not public (e.g. "127.0.0.1/32" for a test
    # receiver). Empty by default: loopback, private, link-local, unique-local, CGNAT
    # and metadata addresses are refused (rescue/webhook_targets.py).
    webhook_allow_networks: tuple[str, ...] = ()
    poll_interval_s: float = Field(1.0, gt=0)

    @field_validator("webhook_allow_networks")
    @classmethod
    def _check_networks(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for spec in v:
            ipaddress.ip_network(spec, strict=False)  # ValueError: not a network
        return v

    @model_validator(mode="after")
    def _check_tiers(self) -> DispatchSettings:
        if not self.tiers or any(tier not in (1, 2, 3) for tier in self.tiers):
            raise ValueError("dispatch tiers must be a non-empty subset of 1, 2, 3")
        if list(self.tiers) != sorted(set(self.tiers)):
            raise ValueError("dispatch tiers must be ascending and unique")
        if 3 in self.tiers and self.tier1_window_s + self.tier2_window_s > (
            self.decision_deadline_s
        ):
            raise ValueError("tier1_window_s + tier2_window_s must not exceed the deadline")
        return self
