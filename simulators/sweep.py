"""Entrapments and their look-alikes for the sensor sweep (``liftwatch eval detect
--sensor-sweep``): one elevator's *true* timeline, sampled densely (every second and at
every change), then seen through a sensor profile (:mod:`simulators.sensors`) and a
reporting pattern (:mod:`simulators.terminals`).

Each elevator serves normal journeys for ``warmup_s`` (its sensors' history), then
alternates episodes and 3-8 minutes of journeys. Episodes (the car starts and ends
standing at a landing, doors closed, empty):

- ``entrapment_at_landing``: passengers board, the doors close, the car never starts;
- ``entrapment_between_floors``: passengers board, the car stops between floors;
  both hold 60-600 s (the occupant's presence is the truth here: the sensor model
  decides what is reported); half the trapped press the alarm button after 15 s;
- look-alike ``empty_stop_outside_zone``: an empty car stops between floors, half of
  the time right after passengers got off (a door cycle just before the trip);
- look-alike ``idle_closed``: an empty car parked with its doors closed 5-20 min (a
  stuck-on sensor reports it occupied; a flickering one blips).

Terminal codes are not reported here (``p_report = 0``): the sweep measures what the
telemetry evidence alone finds; the alarm button is the passengers' own evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from domain.alarms import AlarmType
from domain.codes import EventCode
from domain.fleet import Elevator
from domain.groundtruth import GroundTruth
from domain.samples import StatusColumns
from simulators import episodes as ep_mod
from simulators.demand import journey_arrivals
from simulators.journeys import Shaft, add_journeys
from simulators.sampling import Carry, RawEvent, sample
from simulators.scenario_model import DEFAULT_START_MS
from simulators.timeline import Car, Phases
from simulators.windows import shaft_of

ENTRAPMENTS = ("entrapment_at_landing", "entrapment_between_floors")
LOOKALIKES = ("empty_stop_outside_zone", "idle_closed")


class _TrueEpisode(ep_mod.Episode):
    """Episodes whose presence is the truth (no sensor gaps: the sensor model adds them)."""

    def trapped(self, car: Car, hold_s: float) -> None:
        car.stand(max(1.0, hold_s), pas=True)


def empty_stop_outside_zone(ep: ep_mod.Episode, car: Car) -> None:
    if ep.rng.random() < 0.5:  # passengers got off just before
        ep.alight(car)
        car.stand(ep.u(0.5, 3.0))
    dest = ep.target_landing(car)
    lo, hi = sorted((car.landing, dest))
    stop = ep.between(car, lo, hi)
    car.trip_to(stop)
    start = car.stand(ep.duration_s)
    nearest = round(stop / ep.shaft.height) * ep.shaft.height
    insp, _ = ep.technician_levels(car, nearest, with_passengers=False)
    ep.record("empty_stop_outside_zone", start, insp, fault=False)
    ep.record(AlarmType.STOPPED_OUTSIDE_DOOR_ZONE, start, insp)


def idle_closed(ep: ep_mod.Episode, car: Car) -> None:
    start = car.stand(ep.duration_s * 2.0)
    ep.record("idle_closed", start, car.t_ms, fault=False)


EPISODES = {
    "entrapment_at_landing": ep_mod.entrapment_at_landing,
    "entrapment_between_floors": ep_mod.entrapment_between_floors,
    "empty_stop_outside_zone": empty_stop_outside_zone,
    "idle_closed": idle_closed,
}


@dataclass
class TrueRun:
    """One elevator's dense true samples, its events (alarm button) and ground truth."""

    elevator_id: int
    status: StatusColumns
    events: list[RawEvent] = field(default_factory=list)
    truth: list[GroundTruth] = field(default_factory=list)
    start_ms: int = DEFAULT_START_MS


def _journeys(
    phases: Phases, shaft: Shaft, e: Elevator, t: int, pos: float, until: int,
    rng: np.random.Generator,
) -> tuple[int, float]:  # fmt: skip
    arrivals = journey_arrivals(e.building_type, t, until, rng)
    t_end, pos, _ = add_journeys(phases, shaft, t, pos, until, arrivals, rng)
    return t_end, pos


def true_run(
    e: Elevator, episodes: int, seed: int, warmup_s: float = 7200.0,
    start_ms: int = DEFAULT_START_MS + 8 * 3_600_000,
) -> TrueRun:  # fmt: skip
    """``episodes`` entrapments and as many look-alikes on one elevator (see above)."""
    rng = np.random.default_rng([seed, e.id, 13])
    shaft, labels = shaft_of(e)
    phases = Phases()
    pos = shaft.lobby * shaft.height
    t, pos = _journeys(phases, shaft, e, start_ms, pos, start_ms + round(warmup_s * 1000), rng)
    kinds = [ENTRAPMENTS[i % 2] for i in range(episodes)]
    kinds += [LOOKALIKES[i % 2] for i in range(episodes)]
    events: list[RawEvent] = []
    truth: list[GroundTruth] = []
    for j in rng.permutation(len(kinds)).tolist():
        car = Car(phases, t, shaft.height, shaft.landings, shaft.rated, pos)
        ep = _TrueEpisode(e.id, shaft, labels, rng, float(rng.uniform(60.0, 600.0)), 0.0)
        EPISODES[kinds[j]](ep, car)
        events += [x for x in ep.events if x.code == EventCode.ALARM_BUTTON]
        truth += ep.truth
        t, pos = _journeys(phases, shaft, e, car.t_ms, car.pos,
                           car.t_ms + round(rng.uniform(180.0, 480.0) * 1000), rng)  # fmt: skip
    carry = Carry(t_ms=start_ms, pos=shaft.lobby * shaft.height, seq=1, runs=0, door_cycles=0,
                  run_s=0.0)  # fmt: skip
    status, _msgs, _ = sample(
        e.id, phases.columns(), carry, shaft, labels, start_ms, 1000, [], [], rng.spawn(1)[0]
    )
    truth.sort(key=lambda g: g.start_ms)
    return TrueRun(e.id, status, sorted(events, key=lambda x: x.ts), truth, start_ms)
