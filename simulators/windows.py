"""One elevator's scenario, window by window (state carried across windows).

Each window draws its episodes (fault and look-alike kinds at their daily rates), fills
the time before, between and after them with normal journeys from the demand model, and
reads status samples and events off the phase timeline (:mod:`simulators.sampling`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import numpy as np
import numpy.typing as npt

from domain.alarms import AlarmType
from domain.districts import district_by_name
from domain.fleet import BuildingType, Elevator, MaintenanceCompany, UserUnit
from domain.groundtruth import GroundTruth, LookAlike
from simulators import episodes as ep_mod
from simulators.demand import LOCAL_TZ, journey_arrivals
from simulators.journeys import Shaft, add_journeys
from simulators.risk import FAULT_KINDS, MIN_S, USAGE, FleetFactors, draw_durations_s, fault_rates
from simulators.sampling import Carry, RawEvent, sample
from simulators.scenario_model import DAY_S, ElevatorRun, ScenarioConfig
from simulators.terminals import SensorView
from simulators.timeline import Car, Phases

# Look-alikes per elevator-day in normal mode (maintenance every 15 days).
LOOKALIKE_PER_DAY = {"presence_flicker": 2.0, "long_door_hold": 0.4, "inspection": 1 / 15}
HEIGHT_M = {
    BuildingType.RESIDENTIAL: 3.0, BuildingType.OFFICE: 3.8, BuildingType.MALL: 4.5,
    BuildingType.HOSPITAL: 4.2, BuildingType.METRO: 6.0,
}  # fmt: skip
EVAL_MAX_S = 600.0


def _local_date(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, LOCAL_TZ).date()


def shaft_of(e: Elevator) -> tuple[Shaft, npt.NDArray[np.int64]]:
    labels = [f for f in range(e.lowest_floor, e.lowest_floor + e.floors + 1) if f != 0]
    lab = np.array(labels[: e.floors], dtype=np.int64)
    lobby = int(np.argmin(np.abs(lab - 1)))
    return Shaft(HEIGHT_M[e.building_type], e.floors, lobby, e.rated_speed, e.condition), lab


def _daily_rates(
    e: Elevator, c: MaintenanceCompany, u: UserUnit | None, cfg: ScenarioConfig
) -> dict[str, float]:
    kinds = cfg.enabled()
    if cfg.evaluation:
        return {k: cfg.eval_per_day for k in kinds}
    f = FleetFactors(
        elevator_id=np.array([e.id]), install_ordinal=np.array([e.install_date.toordinal()]),
        tech=np.array([float(c.tech_level)]), credit=np.array([c.credit_score]),
        mgmt=np.array([float(u.management_level if u else 1)]),
        condition=np.array([e.condition]), usage=np.array([USAGE[e.building_type]]),
        urban=np.array([district_by_name(e.district).urban]),
    )  # fmt: skip
    day = _local_date(cfg.start_ms)
    rates = fault_rates(f, day)[0] * cfg.fault_rate_scale
    out = {k.value: float(r) for k, r in zip(FAULT_KINDS, rates, strict=True)}
    out.update(LOOKALIKE_PER_DAY)
    return {k: out[k] for k in kinds}


def _duration_s(kind: str, cfg: ScenarioConfig, rng: np.random.Generator) -> float:
    if kind == LookAlike.LONG_DOOR_HOLD:
        return float(rng.uniform(60.0, 300.0))
    if kind == LookAlike.INSPECTION:
        return float(rng.uniform(600.0, 1200.0) if cfg.evaluation else rng.uniform(1200, 3600))
    if kind == LookAlike.PRESENCE_FLICKER:
        return 0.0
    i = [k.value for k in FAULT_KINDS].index(kind)
    d = float(draw_durations_s(np.array([i]), rng)[0])
    if cfg.evaluation:
        d = float(min(max(d, MIN_S[i]), max(EVAL_MAX_S, MIN_S[i] * 2)))
    return d


@dataclass
class _Piece:
    """One window's timeline as it is built: where the car is, what was injected."""

    t: int
    pos: float
    phases: Phases = field(default_factory=Phases)
    events: list[RawEvent] = field(default_factory=list)
    truth: list[GroundTruth] = field(default_factory=list)
    offline: list[tuple[int, int]] = field(default_factory=list)


class ElevatorWindows:
    """One elevator played window by window; :meth:`pieces` yields one run per window
    (a piece may overrun its window)."""

    def __init__(
        self, e: Elevator, c: MaintenanceCompany, u: UserUnit | None, cfg: ScenarioConfig,
        rng: np.random.Generator,
    ) -> None:  # fmt: skip
        self.elevator = e
        self.cfg = cfg
        self.rng = rng
        self.shaft, self.labels = shaft_of(e)
        rates = _daily_rates(e, c, u, cfg)
        # Sensor noise from its own stream: the sampling rate does not change the behaviour.
        self.noise = rng.spawn(1)[0]
        self.interval = max(1, round(cfg.status_interval_s * 1000))
        self.grid0 = cfg.start_ms + (e.id * 7919) % self.interval
        age_d = max(0, (_local_date(cfg.start_ms) - e.install_date).days)
        self.carry = Carry(
            t_ms=cfg.start_ms, pos=self.shaft.lobby * self.shaft.height, seq=1,
            runs=age_d * 250, door_cycles=age_d * 520, run_s=age_d * 1.1 * 3600.0,
        )  # fmt: skip
        self.kinds = list(rates)
        self.per_window = np.array([rates[k] for k in self.kinds]) * cfg.window_s / DAY_S
        self.drawn = cfg.start_ms  # journey requests are drawn up to here
        self.sensors = SensorView(rng.spawn(1)[0], cfg.start_ms) if cfg.sensor_profiles else None

    def pieces(self) -> Iterator[ElevatorRun]:
        end = self.cfg.end_ms
        ws = self.cfg.start_ms
        while ws < end:
            we = min(end, ws + round(self.cfg.window_s * 1000))
            yield self._window(ws, we)
            ws = max(we, self.carry.t_ms)

    def _window(self, ws: int, we: int) -> ElevatorRun:
        rng, cfg, e = self.rng, self.cfg, self.elevator
        counts = rng.poisson(self.per_window * (we - ws) / (cfg.window_s * 1000))
        kinds = [self.kinds[i] for i in np.repeat(np.arange(len(self.kinds)), counts)]
        times = (ws + rng.random(len(kinds)) * (we - ws)).astype(np.int64)
        t0 = self.carry.t_ms
        piece = _Piece(max(t0, ws), self.carry.pos)
        if piece.t > t0:  # pragma: no cover - windows are contiguous
            raise RuntimeError("timeline gap")
        for j in np.argsort(times, kind="stable").tolist():
            at = int(max(times[j], piece.t))
            if at >= we or not self._episode(piece, kinds[j], at):
                break
        self._serve_until(piece, we)
        status, msgs, self.carry = sample(
            e.id, piece.phases.columns(), replace(self.carry, t_ms=t0), self.shaft, self.labels,
            self.grid0, self.interval, piece.events, piece.offline, self.noise,
        )  # fmt: skip
        truth = sorted(piece.truth, key=lambda g: g.start_ms)
        profile = None
        if self.sensors is not None:
            status, profile = self.sensors.see(status), self.sensors.profile
        return ElevatorRun(e.id, e.terminal_id, status, msgs, truth, self.carry.t_ms, profile)

    def _journeys(self, piece: _Piece, since: int, until: int, overrun: bool = False) -> None:
        """Requests drawn from ``since`` served from the car's time up to ``until``."""
        arrivals = journey_arrivals(self.elevator.building_type, since, until, self.rng)
        piece.t, piece.pos, _ = add_journeys(
            piece.phases, self.shaft, piece.t, piece.pos, until, arrivals, self.rng, overrun
        )

    def _episode(self, piece: _Piece, kind: str, at: int) -> bool:
        """Journeys up to ``at``, then the episode; False when it would not finish
        within the scenario (left out, and the window ends)."""
        self._journeys(piece, min(self.drawn, piece.t), at)
        self.drawn = piece.t
        dur = _duration_s(kind, self.cfg, self.rng)
        if kind == AlarmType.TERMINAL_OFFLINE:
            self._offline(piece, at, dur)
            return True
        if kind == AlarmType.ENTRAPMENT:
            between = self.rng.random() < 0.3
            kind = "entrapment_between_floors" if between else "entrapment_at_landing"
        shaft = self.shaft
        car = Car(piece.phases, piece.t, shaft.height, shaft.landings, shaft.rated, piece.pos)
        ep = ep_mod.Episode(self.elevator.id, shaft, self.labels, self.rng, dur, self.cfg.p_report)
        cp = piece.phases.checkpoint()
        ep_mod.EPISODES[kind](ep, car)
        if car.t_ms > self.cfg.end_ms:
            piece.phases.rollback(cp)
            return False
        piece.t, piece.pos = car.t_ms, car.pos
        self.drawn = piece.t  # nobody boards a car in an episode
        piece.events += ep.events
        piece.truth += ep.truth
        return True

    def _offline(self, piece: _Piece, at: int, dur: float) -> None:
        """The terminal is silent (the car keeps serving); back online before the end."""
        w1 = min(at + round(dur * 1000), self.cfg.end_ms - 1000)
        if w1 <= at:
            return
        piece.t = at
        self._journeys(piece, at, w1)
        piece.offline.append((at, w1))
        piece.truth.append(
            GroundTruth(self.elevator.id, AlarmType.TERMINAL_OFFLINE.value, at, w1, True)
        )

    def _serve_until(self, piece: _Piece, we: int) -> None:
        """Requests up to a window's end are all served, even if later."""
        if piece.t < we:
            self._journeys(piece, min(self.drawn, piece.t), we, we < self.cfg.end_ms)
            self.drawn = we
        else:
            self.drawn = piece.t
