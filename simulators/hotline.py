"""Simulated entrapments and 96333 hotline calls over a day (pure).

Entrapments follow the day's traffic: few at night, peaks in the morning (07:30-09:30)
and evening (17:30-19:30) rush, a smaller one at noon. For each:
- the terminal detects it (90 %) and raises an entrapment alarm at once; 40 % of the
  passengers also press the alarm button within a minute (a second alarm, same case);
- 30 % of detected ones also get a passenger's call 1-3 minutes later (joins the case);
- the terminal misses 10 % (offline, sensor fault): a passenger calls 96333 after 1-4
  minutes, and the desk opens the case from the call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Relative entrapment rate per local hour 0..23.
HOURLY_WEIGHT = np.array(
    [0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.4, 2.2, 1.6, 1.0, 1.0,
     1.4, 1.2, 1.0, 1.0, 1.1, 1.9, 2.4, 1.6, 1.1, 0.8, 0.5, 0.3]
)  # fmt: skip


@dataclass(frozen=True)
class Incident:
    at_s: float  # seconds after local midnight
    elevator: int  # index into the fleet's elevators
    detected: bool  # the terminal raised an entrapment alarm at ``at_s``
    button_after_s: float | None  # alarm button pressed this long after
    call_after_s: float | None  # a passenger calls 96333 this long after
    people: int


def day_of_entrapments(n: int, elevators: int, seed: int) -> list[Incident]:
    """``n`` entrapments over a day, in time order, on distinct-enough elevators."""
    rng = np.random.default_rng([seed, 96333])
    p = HOURLY_WEIGHT / HOURLY_WEIGHT.sum()
    hours = rng.choice(24, size=n, p=p)
    at = np.sort(hours * 3600.0 + rng.uniform(0, 3600, n))
    lifts = rng.choice(elevators, size=n, replace=n > elevators)
    incidents = []
    for i in range(n):
        detected = bool(rng.random() < 0.9)
        button = float(rng.uniform(5, 60)) if detected and rng.random() < 0.4 else None
        if not detected:
            call: float | None = float(rng.uniform(60, 240))
        elif rng.random() < 0.3:
            call = float(rng.uniform(60, 180))
        else:
            call = None
        people = int(rng.choice([1, 1, 1, 2, 2, 3, 4]))
        incidents.append(Incident(float(at[i]), int(lifts[i]), detected, button, call, people))
    return incidents
