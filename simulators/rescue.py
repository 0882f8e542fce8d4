"""Simulated rescuers: how they answer offers, travel and work on site (pure).

Each rescuer has his own random stream (seeded by the run seed and his id), so two runs
with the same seed give every rescuer the same temperament whatever the dispatch does.

Figures (our calibration, documented in docs/dispatch.md):
- Answering an offer: a free rescuer accepts with probability 0.82, declines 0.08
  (busy with a maintenance job, off sick), does not answer 0.10 (phone in pocket).
  Delay: lognormal, median 20 s, 95 % under ~55 s. A rescuer busy on another case
  declines within 5-15 s.
- Setting off: 60-150 s to reach his vehicle (e-bike or van).
- Driving (van, motorbike or e-bike): great-circle distance x a road factor of
  1.25-1.55, at a time-of-day speed (peak 19-25 km/h, day 25-31, night 32-40), per
  trip noise 15 %.
- On site: lognormal with mean 7 min (Guangzhou 96333: 7.7 min in 2013, 6.3 min in
  2023), capped at 40 min.
- The 119 fire service, when handed a case, arrives in 8-16 minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Answer(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    IGNORE = "ignore"


@dataclass(frozen=True)
class AgentModel:
    accept_p: float = 0.82
    decline_p: float = 0.08
    answer_median_s: float = 20.0
    answer_sigma: float = 0.5
    setup_s: tuple[float, float] = (60.0, 150.0)
    road_factor: tuple[float, float] = (1.25, 1.55)
    speed_peak_kmh: tuple[float, float] = (19.0, 25.0)
    speed_day_kmh: tuple[float, float] = (25.0, 31.0)
    speed_night_kmh: tuple[float, float] = (32.0, 40.0)
    speed_noise: float = 0.15
    on_site_mean_s: float = 420.0
    on_site_sigma: float = 0.45
    on_site_max_s: float = 2400.0
    fire_service_s: tuple[float, float] = (480.0, 960.0)


def _band(hour: float) -> str:
    if 7.0 <= hour < 9.5 or 17.0 <= hour < 19.5:
        return "peak"
    if hour >= 22.0 or hour < 6.0:
        return "night"
    return "day"


class RescuerAgents:
    """Answers, trips and on-site times of a city's simulated rescuers."""

    def __init__(self, seed: int, model: AgentModel | None = None) -> None:
        self.seed = seed
        self.model = model or AgentModel()
        self._rngs: dict[int, np.random.Generator] = {}
        self._fire = np.random.default_rng([seed, 119])

    def rng(self, rescuer_id: int) -> np.random.Generator:
        if rescuer_id not in self._rngs:
            self._rngs[rescuer_id] = np.random.default_rng([self.seed, rescuer_id])
        return self._rngs[rescuer_id]

    def answer(self, rescuer_id: int, busy: bool = False) -> tuple[Answer, float]:
        """How and after how many seconds the rescuer answers an offer."""
        rng = self.rng(rescuer_id)
        m = self.model
        if busy:
            return Answer.DECLINE, float(rng.uniform(5, 15))
        u = float(rng.random())
        delay = float(m.answer_median_s * math.exp(m.answer_sigma * rng.standard_normal()))
        if u < m.accept_p:
            return Answer.ACCEPT, min(delay, 120.0)
        if u < m.accept_p + m.decline_p:
            return Answer.DECLINE, min(delay, 120.0)
        return Answer.IGNORE, 0.0

    def setup_s(self, rescuer_id: int) -> float:
        return float(self.rng(rescuer_id).uniform(*self.model.setup_s))

    def travel_s(self, rescuer_id: int, distance_m: float, local_hour: float) -> float:
        """Driving time for a great-circle distance at a local hour."""
        rng = self.rng(rescuer_id)
        m = self.model
        band = {"peak": m.speed_peak_kmh, "day": m.speed_day_kmh, "night": m.speed_night_kmh}
        speed = float(rng.uniform(*band[_band(local_hour)]))
        speed *= float(np.clip(1 + m.speed_noise * rng.standard_normal(), 0.6, 1.4))
        road = float(rng.uniform(*m.road_factor))
        return distance_m * road / (speed / 3.6)

    def on_site_s(self, rescuer_id: int) -> float:
        m = self.model
        mu = math.log(m.on_site_mean_s) - m.on_site_sigma**2 / 2
        value = float(np.exp(mu + m.on_site_sigma * self.rng(rescuer_id).standard_normal()))
        return min(value, m.on_site_max_s)

    def fire_service_s(self) -> float:
        return float(self._fire.uniform(*self.model.fire_service_s))

    def positions(
        self, start: tuple[float, float], end: tuple[float, float], steps: int
    ) -> list[tuple[float, float]]:
        """Intermediate positions of a trip (straight line), for position reports."""
        return [
            (start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
            for i in range(1, steps)
        ]
