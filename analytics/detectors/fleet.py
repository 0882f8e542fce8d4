"""Detectors for a whole fleet: one :class:`ElevatorDetector` per elevator, created on
first sight, fed status columns and terminal events, ticked for timers.

``process`` takes one elevator's chunk (replay, tests); ``process_many`` one batch of
many elevators at once (the live stage), computing the per-sample keys for the whole
batch in one numpy pass. ``tick(now_ms)`` fires due timers: the elevators with a pending
rule timer are kept in a set, and the heartbeat (terminal offline) is checked for all
elevators at once on arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from analytics.config import DetectionSettings
from analytics.detectors.elevator import ElevatorDetector
from analytics.detectors.health import (
    HealthReport,
    HealthRules,
    Snapshot,
    batch_stats,
    closed_loads,
    parse_snapshot,
    regular_gap_limit,
)
from analytics.detectors.model import (
    AlarmEvent,
    ElevatorSpec,
    counter_steps,
    sample_keys,
    step_mask,
    take_samples,
)
from analytics.detectors.rules import Rules, naive_rules, rules_from_settings
from domain.alarms import AlarmType
from domain.samples import StatusColumns
from domain.telemetry import EventMessage

SpecLookup = Callable[[int], ElevatorSpec]


_DEFAULT_SPEC = ElevatorSpec()


def _default_spec(elevator_id: int) -> ElevatorSpec:
    return _DEFAULT_SPEC


class FleetDetector:
    def __init__(
        self,
        settings: DetectionSettings | None = None,
        specs: SpecLookup | dict[int, ElevatorSpec] | None = None,
        *,
        naive: bool = False,
    ) -> None:
        s = settings or DetectionSettings()
        self.settings = s
        self.rules: Rules = naive_rules(s) if naive else rules_from_settings(s)
        if isinstance(specs, dict):
            table = specs
            self._spec: SpecLookup = lambda e: table.get(e) or _DEFAULT_SPEC
        else:
            self._spec = specs or _default_spec
        self.detectors: dict[int, ElevatorDetector] = {}
        self.out: list[AlarmEvent] = []
        self._pending: set[int] = set()
        self._slot: dict[int, int] = {}
        self._seen = np.full(1024, -1, dtype=np.int64)
        self._heartbeat_ms = np.zeros(1024, dtype=np.int64)
        self._offline = np.zeros(1024, dtype=np.bool_)
        self._ids = np.zeros(1024, dtype=np.int64)
        # How far each terminal's clock trails the runner's: arrival minus the event time
        # of its latest sample (transport latency, a backlog, and the terminal's own
        # clock error); a tick runs each elevator's timers on its own clock.
        self._lag_ms = np.zeros(1024, dtype=np.int64)
        self.samples = 0
        self.steps = 0

    # ---- state ----------------------------------------------------------------------
    def detector(self, elevator_id: int) -> ElevatorDetector:
        det = self.detectors.get(elevator_id)
        if det is None:
            det = ElevatorDetector(elevator_id, self._spec(elevator_id), self.rules, self.out)
            self.detectors[elevator_id] = det
            slot = self._slot.get(elevator_id)
            if slot is None:  # a forgotten elevator keeps its slot
                slot = len(self._slot)
                if slot >= self._seen.shape[0]:
                    self._grow()
                self._slot[elevator_id] = slot
            self._heartbeat_ms[slot] = det.heartbeat_ms
            self._ids[slot] = elevator_id
        return det

    def _grow(self) -> None:
        """Double the per-slot arrays (heartbeat check of all elevators at once)."""
        grow = self._seen.shape[0]
        self._seen = np.concatenate([self._seen, np.full(grow, -1, dtype=np.int64)])
        self._heartbeat_ms = np.concatenate([self._heartbeat_ms, np.zeros(grow, dtype=np.int64)])
        self._offline = np.concatenate([self._offline, np.zeros(grow, dtype=np.bool_)])
        self._ids = np.concatenate([self._ids, np.zeros(grow, dtype=np.int64)])
        self._lag_ms = np.concatenate([self._lag_ms, np.zeros(grow, dtype=np.int64)])

    def forget(self, elevator_id: int) -> None:
        """Drop an elevator's state (e.g. its spec changed); it restarts on the next sample."""
        self.detectors.pop(elevator_id, None)
        self._pending.discard(elevator_id)
        slot = self._slot.get(elevator_id)
        if slot is not None:
            self._seen[slot] = -1
            self._offline[slot] = False

    def drain(self) -> list[AlarmEvent]:
        """The alarm events emitted since the last drain."""
        out = self.out[:]
        self.out.clear()
        return out

    def _after(self, det: ElevatorDetector) -> None:
        slot = self._slot[det.elevator_id]
        self._seen[slot] = det.last_seen
        self._heartbeat_ms[slot] = det.heartbeat_ms
        self._offline[slot] = det.is_active(AlarmType.TERMINAL_OFFLINE)
        if det.pending():
            self._pending.add(det.elevator_id)
        else:
            self._pending.discard(det.elevator_id)

    # ---- feeding --------------------------------------------------------------------
    def process(self, cols: StatusColumns, events: Sequence[EventMessage] = ()) -> list[AlarmEvent]:
        """Feed one elevator's samples (any order) and events; returns the alarm events."""
        det = self.detector(cols.elevator_id)
        self.samples += len(cols)
        cols = _in_order_and_new(det, cols)
        ts = cols.ts_ms
        r = self.rules
        spec = det.spec
        presence_ok, load_limit, counters = True, np.inf, None
        if r.evidence and len(cols):
            zero = np.zeros(1, dtype=np.intp)
            self._learn_health([det], cols, zero)
            presence_ok = det.presence_trusted
            load_limit = det.health.load_limit(r.health)
            counters = self._counters([det], cols, zero)
        key = sample_keys(
            cols,
            spec.rated_speed,
            spec.top_floor,
            spec.bottom_floor,
            r.overspeed_factor_1,
            r.overspeed_factor_2,
            presence_ok,
            load_limit,
            counters,
        )
        mask = step_mask(key, np.zeros(1 if len(cols) else 0, dtype=np.intp))
        _mark_gaps(mask, ts, det.heartbeat_ms)
        idx = np.flatnonzero(mask)
        self._run(det, idx, ts, key, cols, sorted(events, key=_event_time))
        self._after(det)
        return self.drain()

    def process_many(
        self,
        elevator_ids: npt.NDArray[np.int64],
        cols: StatusColumns,
        events: dict[int, list[EventMessage]] | None = None,
        arrived_ms: int | None = None,
    ) -> None:
        """Feed samples of many elevators, sorted by (elevator, event time); events per
        elevator. Alarm events accumulate in ``out`` (see :meth:`drain`). ``arrived_ms``
        (the runner's clock when the batch arrived) sets how far each terminal's clock
        trails it (:meth:`tick`); without it, the lags stay as they were."""
        events = dict(events or {})
        self.samples += len(cols)
        if len(cols):
            elevator_ids, cols = self._drop_late(elevator_ids, cols)
        if len(cols):
            self._step_many(elevator_ids, cols, events, arrived_ms)
        for elevator_id, evs in events.items():  # elevators with events only
            det = self.detector(elevator_id)
            ordered = sorted(evs, key=_event_time)
            for ev in ordered:
                det.advance(ev.ts)
                det.event(ev)
            if arrived_ms is not None and ordered:
                self._lag_ms[self._slot[elevator_id]] = arrived_ms - ordered[-1].ts
            self._after(det)

    def set_clock_lags(self, lags_ms: Mapping[int, int]) -> None:
        """How far these elevators' clocks trail the runner's (e.g. read back with
        stored telemetry: received minus event time of each one's latest sample)."""
        for elevator_id, lag in lags_ms.items():
            slot = self._slot.get(elevator_id)
            if slot is not None:
                self._lag_ms[slot] = lag

    def _drop_late(
        self, elevator_ids: npt.NDArray[np.int64], cols: StatusColumns
    ) -> tuple[npt.NDArray[np.int64], StatusColumns]:
        """Drop (and count per elevator) the samples not newer than the last processed."""
        starts, ends = _segments(elevator_ids)
        dets = [self.detector(e) for e in elevator_ids[starts].tolist()]
        last = np.repeat(np.array([d.last_ts for d in dets], np.int64), ends - starts)
        keep = cols.ts_ms > last
        if bool(keep.all()):
            return elevator_ids, cols
        for d, c in zip(dets, np.add.reduceat(~keep, starts).tolist(), strict=True):
            d.late += int(c)
        kept = np.flatnonzero(keep)
        return elevator_ids[kept], take_samples(cols, kept)

    def _step_many(
        self,
        elevator_ids: npt.NDArray[np.int64],
        cols: StatusColumns,
        events: dict[int, list[EventMessage]],
        arrived_ms: int | None = None,
    ) -> None:
        """One numpy pass over the batch, then each elevator's steps (its events popped)
        and, with ``arrived_ms``, how far its clock trails the runner's."""
        starts, ends = _segments(elevator_ids)
        dets = [self.detector(e) for e in elevator_ids[starts].tolist()]
        counts = ends - starts
        rated = np.repeat(np.array([d.spec.rated_speed for d in dets], np.float32), counts)
        top = np.repeat(np.array([d.spec.top_floor for d in dets], np.int32), counts)
        bottom = np.repeat(np.array([d.spec.bottom_floor for d in dets], np.int32), counts)
        r = self.rules
        presence_ok: npt.NDArray[np.bool_] | bool = True
        load_limit: npt.NDArray[np.float32] | float = np.inf
        counters = None
        if r.evidence:
            counters = self._counters(dets, cols, starts)
            self._learn_health(dets, cols, starts)
            hr = r.health
            presence_ok = np.repeat(np.array([d.presence_trusted for d in dets]), counts)
            limits = np.array([d.health.load_limit(hr) for d in dets], np.float32)
            load_limit = np.repeat(limits, counts)
        key = sample_keys(
            cols, rated, top, bottom, r.overspeed_factor_1, r.overspeed_factor_2, presence_ok,
            load_limit, counters,
        )  # fmt: skip
        mask = step_mask(key, starts)
        heartbeat = np.repeat(np.array([d.heartbeat_ms for d in dets], np.int64), counts)
        _mark_gaps(mask, cols.ts_ms, heartbeat)
        idx_all = np.flatnonzero(mask)
        cuts = np.searchsorted(idx_all, ends).tolist()
        lo = 0
        for det, hi, start, end in zip(dets, cuts, starts.tolist(), ends.tolist(), strict=True):
            idx = idx_all[lo:hi]
            lo = hi
            evs = sorted(events.pop(det.elevator_id, []), key=_event_time)
            last_ts = int(cols.ts_ms[end - 1])
            self._run(det, idx, cols.ts_ms, key, cols, evs, last_ts, start, end)
            self._after(det)
            if arrived_ms is not None:
                self._lag_ms[self._slot[det.elevator_id]] = arrived_ms - det.last_ts

    def _learn_health(
        self, dets: list[ElevatorDetector], cols: StatusColumns, starts: npt.NDArray[np.intp]
    ) -> None:
        """Fold a batch into each elevator's sensor health (before its keys are made);
        samples a loaded health already counts are left out."""
        hr = self.rules.health
        learned_to = np.array([d.health_learned_to for d in dets], np.int64)
        if learned_to.shape[0] and int(learned_to.max()) >= 0:
            dets, cols, starts = _not_yet_learned(dets, cols, starts, learned_to)
            if not dets:
                return
        previous = np.array([d.last_ts for d in dets], np.int64)
        band = np.array([d.health.load_band(hr) for d in dets], np.float64)
        limit = regular_gap_limit(
            np.array([d.heartbeat_ms for d in dets], np.int64),
            np.array([d.health.gap_n for d in dets], np.float64),
        )
        active = np.array([d.health.active_ms for d in dets], np.int64)
        stats, idle = batch_stats(cols, starts, previous, band, limit, active)
        ends = [*starts[1:].tolist(), len(cols)]
        for i, (d, lo, hi) in enumerate(zip(dets, starts.tolist(), ends, strict=True)):
            row = stats[i]
            first = d.health.load_base != d.health.load_base and row[6] > 0
            h = d.health
            h.learn(row, closed_loads(cols, idle, lo, hi) if first else None)
            _judge(d, hr)

    @staticmethod
    def _counters(
        dets: list[ElevatorDetector], cols: StatusColumns, starts: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Counter rises per sample; remembers each elevator's last counters."""
        last_c = np.array([d.last_cycles for d in dets], np.int64)
        last_r = np.array([d.last_runs for d in dets], np.int64)
        out = counter_steps(cols, starts, last_c, last_r)
        ends = [*(starts[1:] - 1).tolist(), len(cols) - 1]
        cyc, runs = cols.door_cycles[ends].tolist(), cols.runs[ends].tolist()
        for d, c, n in zip(dets, cyc, runs, strict=True):
            d.last_cycles, d.last_runs = c, n
        return out

    # ---- learned sensor health, saved and loaded ------------------------------------
    def health_snapshots(self, elevator_ids: Collection[int] | None = None) -> dict[int, Snapshot]:
        """The learned sensor health of these elevators (None: all) that have learned
        any, each a :meth:`SensorHealth.snapshot` plus ``to_ms``, the event time of the
        latest sample it counts (for :meth:`load_health`)."""
        dets = self.detectors
        chosen = dets.values() if elevator_ids is None else (
            dets[e] for e in elevator_ids if e in dets
        )  # fmt: skip
        out: dict[int, Snapshot] = {}
        for det in chosen:
            if det.health.all_n > 0:
                snap = det.health.snapshot()
                snap["to_ms"] = max(det.last_ts, det.health_learned_to)
                out[det.elevator_id] = snap
        return out

    def load_health(self, snapshots: Mapping[int, Mapping[str, object]]) -> int:
        """Give these elevators the health of their snapshots (from
        :meth:`health_snapshots`), as if they had learned that history: the verdicts
        hold from their next sample, and samples up to the snapshot's ``to_ms`` (a
        replay of what it already counts) are not learned again. Invalid snapshots are
        skipped. Returns the number loaded."""
        hr = self.rules.health
        loaded = 0
        for elevator_id, snap in snapshots.items():
            health = parse_snapshot(snap)
            if health is None:
                continue
            det = self.detector(elevator_id)
            det.health = health
            det.health_learned_to = _to_ms(snap.get("to_ms"))
            _judge(det, hr)
            loaded += 1
        return loaded

    def health(self, elevator_id: int) -> HealthReport | None:
        """What was learned about an elevator's sensors (None: never seen)."""
        det = self.detectors.get(elevator_id)
        return None if det is None else det.health.report(self.rules.health)

    def _run(
        self,
        det: ElevatorDetector,
        idx: npt.NDArray[np.intp],
        ts_col: npt.NDArray[np.int64],
        key_col: npt.NDArray[np.int32],
        cols: StatusColumns,
        events: list[EventMessage],
        last_ts: int | None = None,
        first: int = 0,
        end: int | None = None,
    ) -> None:
        seg_ts = ts_col[first:end]  # this elevator's samples (sorted)
        ts = ts_col[idx].tolist()
        seen = np.where(idx > first, ts_col[np.maximum(idx - 1, 0)], -1).tolist()
        keys = key_col[idx].tolist()
        floors = cols.floor[idx].tolist()
        speeds = cols.speed[idx].tolist()
        self.steps += len(ts)
        if last_ts is None:
            last_ts = int(ts_col[-1]) if ts_col.shape[0] else -1
        step = det.step
        ei = 0
        ne = len(events)
        for t, k, f, v, p in zip(ts, keys, floors, speeds, seen, strict=True):
            while ei < ne and events[ei].ts < t:  # a status sample goes first on equal times
                self._event(det, events[ei], seg_ts)
                ei += 1
            step(t, k, f, v, p)
        while ei < ne:
            self._event(det, events[ei], seg_ts)
            ei += 1
        if last_ts > det.last_ts:
            if last_ts > det.last_seen:
                det.last_seen = last_ts
            det.advance(last_ts)
            det.last_ts = last_ts

    @staticmethod
    def _event(det: ElevatorDetector, ev: EventMessage, ts_col: npt.NDArray[np.int64]) -> None:
        i = int(ts_col.searchsorted(ev.ts, side="right")) - 1
        if i >= 0 and int(ts_col[i]) > det.last_seen:
            det.last_seen = int(ts_col[i])  # skipped unchanged samples were seen too
        det.advance(ev.ts)
        det.event(ev)

    # ---- time -----------------------------------------------------------------------
    def tick(self, now_ms: int) -> list[AlarmEvent]:
        """Fire timers due by ``now_ms`` (rule timers and heartbeats); returns events.
        Each elevator's timers run on its own clock, ``now_ms`` minus how far it trails
        (:meth:`process_many`): a terminal whose clock is behind is not taken for one
        whose car stood still since its last sample, nor one ahead for a late one."""
        lag = self._lag_ms
        for eid in list(self._pending):
            det = self.detectors.get(eid)
            if det is None:
                self._pending.discard(eid)
                continue
            det.advance(now_ms - int(lag[self._slot[eid]]))
            self._after(det)
        m = len(self._slot)
        seen = self._seen[:m]
        due = (seen >= 0) & (seen + self._heartbeat_ms[:m] < now_ms - lag[:m]) & ~self._offline[:m]
        for slot in np.flatnonzero(due).tolist():
            det = self.detectors.get(int(self._ids[slot]))
            if det is not None:
                det.advance(now_ms - int(lag[slot]))
                self._after(det)
        return self.drain()


def _judge(det: ElevatorDetector, hr: HealthRules) -> None:
    """Refresh the health's verdicts the rules read (once per batch)."""
    h = det.health
    det.presence_trusted = h.presence_ok(hr)
    det.load_usable = h.load(hr) == "ok"
    det.reports_changes = h.on_change(hr)
    det.learn_report_interval(h.report_interval_ms())


def _to_ms(value: object) -> int:
    """A snapshot's ``to_ms`` (-1 when missing or not a time)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        return max(-1, min(int(value), 2**62))
    return -1


def _not_yet_learned(
    dets: list[ElevatorDetector],
    cols: StatusColumns,
    starts: npt.NDArray[np.intp],
    learned_to: npt.NDArray[np.int64],
) -> tuple[list[ElevatorDetector], StatusColumns, npt.NDArray[np.intp]]:
    """The batch without the samples each elevator's loaded health already counts (and
    without the elevators left with none); a health past its ``to_ms`` learns as usual."""
    counts = np.diff(np.append(starts, len(cols)))
    keep = cols.ts_ms > np.repeat(learned_to, counts)
    newest = cols.ts_ms[starts + counts - 1].tolist()
    for det, last, to in zip(dets, newest, learned_to.tolist(), strict=True):
        if 0 <= to < last:
            det.health_learned_to = -1
    if bool(keep.all()):
        return dets, cols, starts
    kept = np.add.reduceat(keep.astype(np.intp), starts)
    left = kept > 0
    new_starts = np.cumsum(kept[left]) - kept[left]
    chosen = [d for d, has in zip(dets, left.tolist(), strict=True) if has]
    return chosen, take_samples(cols, np.flatnonzero(keep)), new_starts.astype(np.intp)


def _event_time(ev: EventMessage) -> int:
    return ev.ts


def _in_order_and_new(det: ElevatorDetector, cols: StatusColumns) -> StatusColumns:
    """One elevator's samples sorted by event time, without those not newer than the
    last processed (counted in ``late``)."""
    n = len(cols)
    ts = cols.ts_ms
    if n > 1 and bool(np.any(ts[1:] < ts[:-1])):
        cols = take_samples(cols, np.argsort(ts, kind="stable"))
        ts = cols.ts_ms
    if n and int(ts[0]) <= det.last_ts:
        keep = ts > det.last_ts
        det.late += int(n - np.count_nonzero(keep))
        cols = take_samples(cols, np.flatnonzero(keep))
    return cols


def _segments(
    elevator_ids: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    n = elevator_ids.shape[0]
    bounds = np.flatnonzero(elevator_ids[1:] != elevator_ids[:-1]) + 1
    starts = np.concatenate([np.zeros(1, dtype=np.intp), bounds])
    ends = np.concatenate([bounds, np.array([n], dtype=np.intp)])
    return starts, ends


def _mark_gaps(
    mask: npt.NDArray[np.bool_], ts: npt.NDArray[np.int64], hb_ms: int | npt.NDArray[np.int64]
) -> None:
    """Step the samples on both sides of a silence longer than the heartbeat timeout."""
    if ts.shape[0] < 2:
        return
    limit = hb_ms if isinstance(hb_ms, int) else hb_ms[1:]
    gap = (ts[1:] - ts[:-1]) > limit
    mask[1:] |= gap
    mask[:-1] |= gap
