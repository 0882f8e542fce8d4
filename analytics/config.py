"""Detector rules and thresholds (vendor defaults from the domain notes; all configurable)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DetectionSettings(BaseModel):
    # Entrapment: passenger present, doors fully closed, car stopped, normal service, for T.
    entrapment_s: float = Field(30.0, gt=0)
    # A presence gap shorter than this neither clears nor restarts the entrapment condition.
    presence_flicker_s: float = Field(10.0, ge=0)
    # Share of the entrapment window the sensor must actually have reported presence
    # (bridged gaps count as absent here): spurious on/off flicker in an empty car stays
    # below it.
    entrapment_presence_share: float = Field(0.5, ge=0, le=1)
    # Entrapment from all the evidence (docs/detection.md): a person seen in the car
    # (presence while running, at the stop or boarding before a trip; load above the
    # learned empty-car baseline; the alarm button) is in it until the doors open.
    # False: the presence-at-one-moment rule above (flicker tolerance, presence share).
    entrapment_evidence: bool = True
    # Presence appearing in a stopped, closed car after its first sample counts only
    # corroborated (held >= 5 s or appearing twice) within this time of the stop (a
    # lone blip is a sensor glitch: nobody can enter a closed car).
    presence_stop_window_s: float = Field(120.0, ge=0)
    # A car stopped outside the door zone for this long after a trip that may have
    # carried people, with no evidence either way: "possible entrapment".
    possible_entrapment_s: float = Field(30.0, gt=0)
    # A trip that starts within this time of the doors closing may carry people.
    carried_window_s: float = Field(60.0, gt=0)
    # Sensor health learned from history (analytics/detectors/health.py).
    health_min_samples: int = Field(200, ge=1)
    presence_stuck_share: float = Field(0.5, gt=0, le=1)
    presence_dead_share: float = Field(0.01, ge=0, lt=1)
    load_margin_kg: float = Field(30.0, gt=0)
    stopped_outside_zone_s: float = Field(45.0, gt=0)
    # Moving with doors open: consecutive samples and duration before it is believed.
    door_open_running_samples: int = Field(2, ge=1)
    door_open_running_s: float = Field(0.0, ge=0)
    overspeed_factor: float = Field(1.2, gt=1)
    overspeed_factor_2: float = Field(1.4, gt=1)
    # Consecutive samples above the first tier before an overspeed is believed.
    overspeed_samples: int = Field(1, ge=1)
    door_cycles_at_floor: int = Field(5, ge=2)
    # Door cycles only count together when they happen within this window while parked.
    door_cycles_window_s: float = Field(300.0, gt=0)
    # Door fails to close: closing reversed (back to opening) this often while parked.
    door_close_reversals: int = Field(4, ge=1)
    door_open_timeout_s: float = Field(15.0, gt=0)
    door_open_failures: int = Field(3, ge=1)
    # Terminal offline: no message for this many report intervals.
    heartbeat_intervals: float = Field(3.0, gt=0)
    default_report_interval_s: float = Field(5.0, gt=0)
    # Live stage: where alarms are published per maintenance company, and how often the
    # elevator table and suppression windows are re-read.
    notify_root: str = "liftwatch/notify/v1"
    refresh_s: float = Field(60.0, gt=0)
    # Alarm types that a maintenance/inspection suppression window does not silence.
    suppression_exempt: list[str] = Field(default_factory=lambda: ["alarm_button"])
