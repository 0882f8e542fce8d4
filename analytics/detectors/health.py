"""Each elevator's sensor health, learned from its own history (pure, vectorised).

The presence sensor, the load cell and the terminal's reporting are judged from the
samples themselves, batch by batch (one numpy pass over a batch of many elevators, then
a few float updates per elevator):

- **idle car**: stopped with its doors closed in normal service for ``IDLE_MS`` (2 min)
  or more since it last ran or moved its doors: almost surely empty. A busy car that
  stands closed with people inside between trips is *not* idle: judged on it, a good
  presence sensor looked stuck on and passengers' weight blurred the load baseline.
- **presence**: among samples of an *idle* car, the share reporting presence; above
  ``stuck_share`` the sensor is ``stuck_on`` and its presence is not believed. Among
  samples with the *doors open* (people boarding or leaving), a share below
  ``dead_share`` means ``dead``. Until ``min_samples`` (200) idle samples are seen
  the sensor is ``unknown`` (believed: innocent until its history says otherwise; a
  real entrapment in a new elevator's first minutes must not make it "stuck"), unless
  it reported presence in over 95 % of its first 24 or more samples of any kind (two
  minutes at 5 s: a sensor never seen off is not believed).
- **load cell**: ``absent`` while every reading is exactly 0 (the field is optional on
  the wire and defaults to 0); otherwise the **empty-car baseline** is the mean of the
  idle samples below ``baseline + max(load_margin_kg, 3 sigma)`` (an EWMA, so a
  drifting offset is followed) and ``sigma`` their spread; a person is in the car when
  the load exceeds ``baseline + max(load_margin_kg, 5 sigma)``
  (:attr:`SensorHealth.load_limit`). The first baseline is the 25th percentile of the
  first idle samples (``unknown`` until there are 12). A cell whose 5 sigma exceeds
  ``load_max_margin_kg`` (45 kg) is ``noisy``: it cannot tell one adult from its noise,
  so it never outweighs the presence sensor (its readings above the limit still count).
- **reporting**: the share of gaps between samples shorter than ``short_gap_ms``. A
  terminal that reports on change has many (a stop, the doors opening, closing within
  seconds); a periodic or sparse one has none: there a state change happened somewhere
  in the gap before the sample that shows it, and the rules take the middle of the gap
  as its time (:mod:`analytics.detectors.entrapment`).

Counts are halved past ``COUNT_CAP`` so old history fades.

**Snapshots**: :meth:`SensorHealth.snapshot` is the learned state as a flat, versioned
mapping of numbers (JSON-ready: an unknown load baseline is ``None``), and
:meth:`SensorHealth.from_snapshot` rebuilds it; a snapshot of another version, with a
missing, non-finite, negative or inconsistent value gives a fresh (never-seen) health
instead (:func:`parse_snapshot` says which). Unknown keys are ignored. The runners save
them so a restart does not relearn every sensor from scratch (``docs/detection.md``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from domain.codes import CAR_RUNNING, DOOR_CLOSED, DOOR_OPEN, MODE_NORMAL
from domain.samples import StatusColumns

COUNT_CAP = 4000.0
SHORT_GAP_MS = 2500
MIN_GAPS = 20
IDLE_MS = 120_000  # a car at rest this long since it last moved is idle (empty)
NEVER = -(1 << 62)
LEARN_GAP_MS = 120_000  # until the report interval is learned, longer gaps are silences
SNAPSHOT_VERSION = 1
# The counts of a snapshot, each with the count it cannot exceed (None: none).
_SNAPSHOT_COUNTS: tuple[tuple[str, str | None], ...] = (
    ("all_n", None), ("all_presence", "all_n"), ("closed_n", None),
    ("closed_presence", "closed_n"), ("open_n", None), ("open_presence", "open_n"),
    ("gaps_n", None), ("gaps_short", "gaps_n"), ("load_nonzero", None), ("load_n", None),
)  # fmt: skip
_MAX_COUNT = 1e12  # no count grows past COUNT_CAP (load_nonzero only counts up, slowly)
Snapshot = dict[str, float | None]


@dataclass(frozen=True, slots=True)
class HealthRules:
    min_samples: int = 200  # closed samples before the presence sensor is judged
    quick_samples: int = 24  # ... except one reporting presence in nearly every sample
    quick_share: float = 0.95
    load_min_samples: int = 12  # closed samples before the load cell is used
    stuck_share: float = 0.5
    dead_share: float = 0.01
    dead_min_open: int = 100
    load_margin_kg: float = 30.0
    load_max_margin_kg: float = 45.0  # a wider person margin (5 sd) cannot see one adult
    change_share: float = 0.15


@dataclass(frozen=True, slots=True)
class HealthReport:
    """What was learned about one elevator's sensors (for alarm details and reports)."""

    presence: str  # "ok", "unknown", "stuck_on", "dead"
    load: str  # "ok", "unknown", "absent"
    load_baseline_kg: float | None
    reporting: str  # "on_change", "periodic", "unknown"


class SensorHealth:
    """One elevator's learned sensor health (see the module docstring)."""

    __slots__ = (
        "active_ms",
        "all_n",
        "all_presence",
        "closed_n",
        "closed_presence",
        "gap_mean_ms",
        "gap_n",
        "gaps_n",
        "gaps_short",
        "load_base",
        "load_n",
        "load_nonzero",
        "load_sigma",
        "open_n",
        "open_presence",
    )

    def __init__(self) -> None:
        self.all_n = 0.0
        self.all_presence = 0.0
        self.closed_n = 0.0
        self.closed_presence = 0.0
        self.open_n = 0.0
        self.open_presence = 0.0
        self.gaps_n = 0.0
        self.gaps_short = 0.0
        self.gap_n = 0.0  # regular gaps (not a burst of changes, not a silence) ...
        self.gap_mean_ms = float("nan")  # ... and their mean (EWMA): the report interval
        self.load_nonzero = 0.0
        self.load_n = 0.0
        self.load_base = float("nan")
        self.load_sigma = 0.0
        self.active_ms = -1  # the car last ran or moved its doors (not saved: relearned)

    # ---- verdicts -------------------------------------------------------------------
    def _stuck(self, r: HealthRules) -> bool:
        n, on = self.closed_n, self.closed_presence
        return (n >= r.min_samples and on > r.stuck_share * n) or (
            self.all_n >= r.quick_samples and self.all_presence > r.quick_share * self.all_n
        )

    def presence(self, r: HealthRules) -> str:
        if self._stuck(r):
            return "stuck_on"
        if self.open_n >= r.dead_min_open and self.open_presence < r.dead_share * self.open_n:
            return "dead"
        return "ok" if self.closed_n >= r.min_samples else "unknown"

    def presence_ok(self, r: HealthRules) -> bool:
        """Whether presence from this sensor is believed (not stuck on)."""
        return not self._stuck(r)

    def load(self, r: HealthRules) -> str:
        """``absent``, ``unknown`` (too few samples yet), ``noisy`` (its empty-car
        spread hides one adult: it cannot tell an empty car, only a heavy one) or
        ``ok``."""
        if self.load_nonzero == 0:
            return "absent" if self.closed_n >= r.load_min_samples else "unknown"
        if self.load_n < r.load_min_samples:
            return "unknown"
        return "noisy" if 5.0 * self.load_sigma > r.load_max_margin_kg else "ok"

    def load_limit(self, r: HealthRules) -> float:
        """Load (kg) above which someone is in the car; inf without a usable load cell."""
        if self.load_nonzero == 0 or self.load_n < r.load_min_samples:
            return float("inf")
        return self.load_base + max(r.load_margin_kg, 5.0 * self.load_sigma)

    def load_band(self, r: HealthRules) -> float:
        """Readings up to this are learned as an empty car (inf before the first
        baseline): narrower than the person limit (3 sd, not 5), so a passenger's
        weight never widens the spread it is judged by."""
        if self.load_base != self.load_base:
            return float("inf")
        return self.load_base + max(r.load_margin_kg, 3.0 * self.load_sigma)

    def on_change(self, r: HealthRules) -> bool:
        """Whether the terminal reports changes as they happen (else: periodic/sparse)."""
        return self.gaps_n < MIN_GAPS or self.gaps_short > r.change_share * self.gaps_n

    def report_interval_ms(self) -> float:
        """The terminal's learned report interval (ms; nan until ``MIN_GAPS`` regular
        gaps are seen): the mean gap between samples that are neither a burst of
        changes (< ``SHORT_GAP_MS``) nor a silence (longer than the heartbeat timeout)."""
        return self.gap_mean_ms if self.gap_n >= MIN_GAPS else float("nan")

    def report(self, r: HealthRules) -> HealthReport:
        reporting = "unknown" if self.gaps_n < MIN_GAPS else (
            "on_change" if self.on_change(r) else "periodic"
        )  # fmt: skip
        base = None if self.load_base != self.load_base else round(self.load_base, 1)
        return HealthReport(self.presence(r), self.load(r), base, reporting)

    # ---- snapshots ------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The learned state as a flat JSON-ready mapping (see the module docstring)."""
        out: Snapshot = {"v": SNAPSHOT_VERSION}
        for name, _ in _SNAPSHOT_COUNTS:
            out[name] = getattr(self, name)
        out["load_base"] = None if self.load_base != self.load_base else self.load_base
        out["load_sigma"] = self.load_sigma
        if self.gap_n > 0:
            out["gap_n"], out["gap_mean_ms"] = self.gap_n, self.gap_mean_ms
        return out

    @classmethod
    def from_snapshot(cls, data: Mapping[str, object]) -> SensorHealth:
        """The health a snapshot describes; a fresh one if it is not a valid snapshot."""
        health = parse_snapshot(data)
        return cls() if health is None else health

    # ---- learning -------------------------------------------------------------------
    def learn(self, stats: npt.NDArray[np.float64], loads: npt.NDArray[np.float32] | None) -> None:
        """Fold one batch's counts (a row of :func:`batch_stats`) into the history;
        ``loads`` are the batch's closed-stopped load readings when a first baseline is
        needed."""
        (closed, closed_p, opened, opened_p, gaps, short, nonzero, in_band, mean, var, n, on,
         regular, regular_ms, active) = stats.tolist()  # fmt: skip
        self.active_ms = max(self.active_ms, int(active), -1)
        self.all_n += n
        self.all_presence += on
        self.closed_n += closed
        self.closed_presence += closed_p
        self.open_n += opened
        self.open_presence += opened_p
        self.gaps_n += gaps
        self.gaps_short += short
        self.load_nonzero += nonzero
        if regular > 0:
            self._learn_gap(regular, regular_ms / regular)
        if self.load_nonzero > 0:
            self._learn_load(in_band, mean, var, loads)
        if max(self.closed_n, self.open_n, self.gaps_n, self.all_n) > COUNT_CAP:
            for name in ("closed_n", "closed_presence", "open_n", "open_presence", "gaps_n",
                         "gaps_short", "all_n", "all_presence"):  # fmt: skip
                setattr(self, name, getattr(self, name) / 2.0)

    def _learn_gap(self, n: float, mean_ms: float) -> None:
        mean, count = follow_interval(
            np.array([self.gap_mean_ms]), np.array([self.gap_n]), np.array([n]),
            np.array([mean_ms]),
        )  # fmt: skip
        self.gap_mean_ms, self.gap_n = float(mean[0]), float(count[0])

    def _learn_load(
        self, in_band: float, mean: float, var: float, loads: npt.NDArray[np.float32] | None
    ) -> None:
        if self.load_base != self.load_base:  # first baseline: the lower quartile
            if loads is None or loads.shape[0] == 0:
                return
            self.load_base = float(np.percentile(loads, 25))
            low = loads[loads <= self.load_base + 30.0]
            self.load_sigma = float(np.std(low)) if low.shape[0] > 1 else 0.0
            self.load_n = float(loads.shape[0])
            return
        if in_band <= 0:
            return
        w = in_band / (in_band + 50.0)
        self.load_base += w * (mean - self.load_base)
        self.load_sigma += w * (float(np.sqrt(max(var, 0.0))) - self.load_sigma)
        self.load_n = min(self.load_n + in_band, COUNT_CAP)


def parse_snapshot(data: object) -> SensorHealth | None:
    """The health a snapshot describes, or None when it is not a valid snapshot of this
    version (wrong version, a missing, non-finite, negative or inconsistent value)."""
    if not isinstance(data, Mapping) or not _is_number(data.get("v")):
        return None
    if data["v"] != SNAPSHOT_VERSION:
        return None
    counts = _counts(data)
    if counts is None:
        return None
    base, sigma = _baseline(data.get("load_base")), _number(data.get("load_sigma"))
    if base is None or sigma is None:
        return None
    if counts["load_n"] > 0 and base != base:
        return None  # a load cell in use needs its baseline
    health = SensorHealth()
    for name, value in counts.items():
        setattr(health, name, value)
    health.load_base, health.load_sigma = base, sigma
    gap_n, gap_mean = _number(data.get("gap_n", 0.0)), _number(data.get("gap_mean_ms", 0.0))
    if gap_n is not None and gap_mean is not None and 0 < gap_n <= _MAX_COUNT:
        health.gap_n, health.gap_mean_ms = gap_n, gap_mean  # optional (added later)
    return health


def _counts(data: Mapping[str, object]) -> dict[str, float] | None:
    out: dict[str, float] = {}
    for name, limit in _SNAPSHOT_COUNTS:
        value = _number(data.get(name))
        if value is None or value > _MAX_COUNT:
            return None
        if limit is not None and value > out[limit] * (1 + 1e-9) + 1e-9:
            return None  # more presence (or short gaps) than samples (or gaps)
        out[name] = value
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: object) -> float | None:
    """A finite, non-negative float, or None."""
    if not _is_number(value):
        return None
    x = float(value)  # type: ignore[arg-type]
    return x if math.isfinite(x) and x >= 0 else None


def _baseline(value: object) -> float | None:
    """A load baseline: finite (an offset may be negative) or unknown (None, NaN: NaN)."""
    if value is None:
        return float("nan")
    if not _is_number(value):
        return None
    x = float(value)  # type: ignore[arg-type]
    return x if math.isfinite(x) or math.isnan(x) else None


F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def regular_gap_limit(timeout_ms: I64, gaps_n: F64) -> I64:
    """The longest gap learned as a report interval (longer: a silence): the heartbeat
    timeout once the interval is known (``gaps_n >= MIN_GAPS``), else at least
    ``LEARN_GAP_MS`` (a terminal registered faster than it reports would otherwise
    never be learned). Vectorised over terminals."""
    out: I64 = np.where(gaps_n >= MIN_GAPS, timeout_ms, np.maximum(timeout_ms, LEARN_GAP_MS))
    return out


def follow_interval(mean: F64, n: F64, batch_n: F64, batch_mean: F64) -> tuple[F64, F64]:
    """A terminal's report interval (the mean of its regular gaps, ms), followed as an
    EWMA: the first batch sets it, later ones move it by ``batch_n / (batch_n + 50)``;
    ``n`` counts the gaps seen (capped). Vectorised over terminals; entries with no gap
    in the batch keep their values. The interval is known once ``n >= MIN_GAPS``."""
    has = batch_n > 0
    first = has & (n <= 0)
    w = np.where(has, batch_n / (batch_n + 50.0), 0.0)
    moved = np.where(first, batch_mean, mean + w * (np.where(has, batch_mean, mean) - mean))
    return moved, np.minimum(n + batch_n, COUNT_CAP)


STAT_COLUMNS = 15


def batch_stats(
    cols: StatusColumns,
    starts: npt.NDArray[np.intp],
    previous_ts: npt.NDArray[np.int64],
    load_band: npt.NDArray[np.float64],
    gap_limit_ms: npt.NDArray[np.int64],
    last_active_ms: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Per segment (one elevator's samples from ``starts[i]``): closed-stopped samples,
    those with presence, doors-open samples, those with presence, gaps, short gaps,
    non-zero loads, closed-stopped loads in the empty band (below ``load_band``), their
    mean and variance, samples, samples with presence, regular gaps (from
    ``SHORT_GAP_MS`` to ``gap_limit_ms``: longer is a silence) and their sum.
    ``previous_ts`` is each elevator's last sample before the batch (-1: none).

    "Closed-stopped" samples are those of an *idle* car: stopped with its doors closed
    in normal service for ``IDLE_MS`` or more since it last ran or its doors last moved
    (``last_active_ms``: before the batch, -1 never seen), so almost surely empty; a
    busy car standing closed with people inside between trips is not one of them (its
    presence would look stuck on, its load a drifting baseline). The last column is each
    segment's latest active time, to carry into the next batch. Also returns the idle
    mask (for :func:`closed_loads`)."""
    n = cols.ts_ms.shape[0]
    if n == 0:
        return np.zeros((0, STAT_COLUMNS)), np.zeros(0, np.bool_)
    counts = np.diff(np.append(starts, n))
    at_rest = (cols.car != CAR_RUNNING) & (cols.door == DOOR_CLOSED) & (cols.mode == MODE_NORMAL)
    active = _last_active(cols.ts_ms, ~at_rest, starts, counts, last_active_ms)
    closed = at_rest & (cols.ts_ms - active >= IDLE_MS)
    opened = cols.door == DOOR_OPEN
    pas = cols.passenger
    prev = np.empty(n, np.int64)
    prev[1:] = cols.ts_ms[:-1]
    prev[starts] = previous_ts
    gap = cols.ts_ms - prev
    has_gap = (prev >= 0) & (gap > 0)
    load = cols.load.astype(np.float64)
    band = closed & (load <= np.repeat(load_band, counts))
    flags = np.stack([
        closed, closed & pas, opened, opened & pas, has_gap, has_gap & (gap < SHORT_GAP_MS),
        load != 0, band, pas,
    ], axis=1)  # fmt: skip
    sums = np.add.reduceat(flags.astype(np.float64), starts, axis=0)
    regular = has_gap & (gap >= SHORT_GAP_MS) & (gap <= np.repeat(gap_limit_ms, counts))
    gaps = np.add.reduceat(np.stack([regular, np.where(regular, gap, 0)], axis=1).astype(
        np.float64), starts, axis=0)  # fmt: skip
    in_band = np.where(band, load, 0.0)
    moments = np.add.reduceat(np.stack([in_band, in_band * in_band], axis=1), starts, axis=0)
    band_n = sums[:, 7]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(band_n > 0, moments[:, 0] / np.maximum(band_n, 1.0), 0.0)
        var = np.where(band_n > 1, moments[:, 1] / np.maximum(band_n, 1.0) - mean * mean, 0.0)
    ends = np.append(starts[1:], n) - 1
    stats = np.column_stack(
        [sums[:, :8], mean, var, counts.astype(np.float64), sums[:, 8], gaps[:, 0], gaps[:, 1],
         active[ends].astype(np.float64)]
    )  # fmt: skip
    return stats, closed


def _last_active(
    ts: npt.NDArray[np.int64],
    active: npt.NDArray[np.bool_],
    starts: npt.NDArray[np.intp],
    counts: npt.NDArray[np.intp],
    before: npt.NDArray[np.int64] | None,
) -> npt.NDArray[np.int64]:
    """Per sample (segments in time order), the latest time at or before it that its
    car was active (running, doors not closed, not in normal service), carrying
    ``before``; ``NEVER`` when not within ~200 days (an elevator first seen at rest)."""
    if len(ts) == 0:
        return np.zeros(0, np.int64)
    low, span = -(1 << 34), 1 << 36  # ms relative to the batch; segments set apart
    base = int(ts.min())
    rel = np.where(active, ts - base, low)
    if before is not None:
        init = np.where(before >= 0, np.maximum(before - base, low), low)
        rel[starts] = np.maximum(rel[starts], init)
    shift = np.repeat(np.arange(len(starts), dtype=np.int64) * span, counts)
    run = np.maximum.accumulate(rel + shift) - shift
    out: npt.NDArray[np.int64] = np.where(run <= low, NEVER, run + base)
    return out


def closed_loads(
    cols: StatusColumns, idle: npt.NDArray[np.bool_], lo: int, hi: int
) -> npt.NDArray[np.float32]:
    """The idle car's load readings of samples ``lo:hi`` (``idle``: from
    :func:`batch_stats`), for a first baseline: an empty car's."""
    out: npt.NDArray[np.float32] = cols.load[lo:hi][idle[lo:hi]]
    return out
