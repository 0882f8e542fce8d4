"""Range checks on decoded terminal messages (pure: values in, a rejection or None out).

:mod:`domain.telemetry` fixes the shape and types of the wire messages; this module
decides whether a well-typed message makes physical and temporal sense. Each rejection
names a :class:`DeadLetterReason`, the code stored in ``dead_letters.reason`` and counted
in the ingest metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from domain.codes import ALL_CODES
from domain.telemetry import SCHEMA_VERSION, Counters, EventMessage, OnlineMessage, StatusMessage

SUPPORTED_VERSIONS: frozenset[int] = frozenset({SCHEMA_VERSION})

MAX_SPEED_M_S = 20.0  # the fastest elevators in service run at ~20 m/s
FLOOR_BOUND = 300  # sane bound when the elevator's own range is unknown
MAX_LOAD_KG = 100_000.0
MAX_LEVELING_MM = 10_000.0
MAX_SEQ = 2**63 - 1
MAX_COUNTER = 2**31 - 1  # runs and door cycles are stored as integer
MAX_RUN_HOURS = 3.4e38  # stored as real
MAX_ANALOG_CHANNELS = 64
MAX_CHANNEL_NAME = 64
MAX_ANALOG_VALUE = 1e12
MAX_ANALOG_SUM = MAX_ANALOG_VALUE  # a sum within this bound needs no per-channel look
MAX_DETAIL_CHARS = 1_000


class DeadLetterReason(StrEnum):
    OVERSIZED = "oversized"  # payload larger than the configured limit
    BAD_TOPIC = "bad_topic"  # not <root>/<terminal>/status|event|online
    MALFORMED_JSON = "malformed_json"
    WRONG_TYPE = "wrong_type"  # a field of the wrong type or an invalid enum value
    MISSING_FIELD = "missing_field"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_ELEVATOR = "unknown_elevator"  # terminal id not registered in `elevators`
    NOT_FINITE = "not_finite"  # NaN, Infinity or a number beyond double range
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_CODE = "unknown_code"  # event code not in 01-11, 40-47, 90
    FUTURE_TIMESTAMP = "future_timestamp"
    PAST_TIMESTAMP = "past_timestamp"
    STORE_FAILED = "store_failed"  # valid on the wire but refused by the database
    UNPROCESSABLE = "unprocessable"  # ingest failed on it (a bug); kept, not retried


@dataclass(frozen=True)
class Rejection:
    reason: DeadLetterReason
    detail: str


@dataclass(frozen=True)
class Limits:
    """Time window and floor bounds a message is checked against."""

    now_ms: int
    max_future_ms: int
    max_past_ms: int

    def check_ts(self, ts: int) -> Rejection | None:
        if ts > self.now_ms + self.max_future_ms:
            return Rejection(
                DeadLetterReason.FUTURE_TIMESTAMP, f"ts {ts} is {ts - self.now_ms} ms ahead"
            )
        if ts < self.now_ms - self.max_past_ms:
            return Rejection(
                DeadLetterReason.PAST_TIMESTAMP, f"ts {ts} is {self.now_ms - ts} ms behind"
            )
        return None


def floor_range(lowest_floor: int, floors: int) -> tuple[int, int]:
    """The floors an elevator may report.

    ``elevators.floors`` is read both as the top floor and as the number of floors
    served from ``lowest_floor``; the union of the two readings is accepted, so neither
    convention dead-letters valid data.
    """
    return lowest_floor, max(floors, lowest_floor + floors - 1)


def _finite(x: float) -> bool:
    return x - x == 0.0  # False for NaN and +-inf; cheaper than math.isfinite


def _check_header(v: int, seq: int, ts: int, limits: Limits) -> Rejection | None:
    if v not in SUPPORTED_VERSIONS:
        return Rejection(DeadLetterReason.UNSUPPORTED_VERSION, f"schema version {v}")
    if seq < 0 or seq > MAX_SEQ:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, f"seq {seq}")
    return limits.check_ts(ts)


def check_status(
    msg: StatusMessage, limits: Limits, floor_lo: int = -FLOOR_BOUND, floor_hi: int = FLOOR_BOUND
) -> Rejection | None:
    """None when the status message is acceptable, else why not."""
    bad = _check_header(msg.v, msg.seq, msg.ts, limits)
    if bad is not None:
        return bad
    if not floor_lo <= msg.floor <= floor_hi:
        return Rejection(
            DeadLetterReason.OUT_OF_RANGE, f"floor {msg.floor} outside {floor_lo}..{floor_hi}"
        )
    speed, load, lev = msg.speed, msg.load, msg.leveling_mm
    if not (_finite(speed) and _finite(load) and _finite(lev)):
        return Rejection(DeadLetterReason.NOT_FINITE, "speed, load or leveling_mm")
    if not 0.0 <= speed <= MAX_SPEED_M_S:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, f"speed {speed} m/s")
    if not 0.0 <= load <= MAX_LOAD_KG:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, f"load {load}")
    if not -MAX_LEVELING_MM <= lev <= MAX_LEVELING_MM:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, f"leveling_mm {lev}")
    bad = _check_counters(msg.counters)
    if bad is not None:
        return bad
    if msg.analog:
        return _check_analog(msg.analog)
    return None


def _check_counters(counters: Counters) -> Rejection | None:
    run_hours, runs, door_cycles = counters.run_hours, counters.runs, counters.door_cycles
    if not _finite(run_hours):
        return Rejection(DeadLetterReason.NOT_FINITE, "counters.run_hours")
    if run_hours < 0 or runs < 0 or door_cycles < 0:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, "negative counter")
    if runs > MAX_COUNTER or door_cycles > MAX_COUNTER or run_hours > MAX_RUN_HOURS:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, "counter too large")
    return None


def _check_analog(analog: dict[str, float]) -> Rejection | None:
    if len(analog) > MAX_ANALOG_CHANNELS:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, f"{len(analog)} analog channels")
    total = sum(analog.values())
    # Fast path: a NaN or an infinity would make the sum NaN or infinite.
    if (
        -MAX_ANALOG_SUM <= total <= MAX_ANALOG_SUM
        and all(0 < len(name) <= MAX_CHANNEL_NAME for name in analog)
        and not any("\x00" in name for name in analog)
    ):
        return None
    for name, value in analog.items():
        if not name or len(name) > MAX_CHANNEL_NAME or "\x00" in name:
            return Rejection(DeadLetterReason.OUT_OF_RANGE, "analog channel name")
        if not math.isfinite(value):
            return Rejection(DeadLetterReason.NOT_FINITE, f"analog.{name}")
        if abs(value) > MAX_ANALOG_VALUE:
            return Rejection(DeadLetterReason.OUT_OF_RANGE, f"analog.{name} = {value}")
    return None


def check_event(
    msg: EventMessage, limits: Limits, floor_lo: int = -FLOOR_BOUND, floor_hi: int = FLOOR_BOUND
) -> Rejection | None:
    bad = _check_header(msg.v, msg.seq, msg.ts, limits)
    if bad is not None:
        return bad
    if msg.code not in ALL_CODES:
        return Rejection(DeadLetterReason.UNKNOWN_CODE, f"code {msg.code}")
    if msg.floor is not None and not floor_lo <= msg.floor <= floor_hi:
        return Rejection(
            DeadLetterReason.OUT_OF_RANGE, f"floor {msg.floor} outside {floor_lo}..{floor_hi}"
        )
    if len(msg.detail) > MAX_DETAIL_CHARS or "\x00" in msg.detail:
        return Rejection(DeadLetterReason.OUT_OF_RANGE, "detail too long or contains NUL")
    return None


def check_online(msg: OnlineMessage, limits: Limits) -> Rejection | None:
    if msg.v not in SUPPORTED_VERSIONS:
        return Rejection(DeadLetterReason.UNSUPPORTED_VERSION, f"schema version {msg.v}")
    # A retained online message may be old; only a future timestamp is suspicious.
    if msg.ts is not None and msg.ts > limits.now_ms + limits.max_future_ms:
        return Rejection(DeadLetterReason.FUTURE_TIMESTAMP, f"ts {msg.ts}")
    return None


def classify_decode_error(message: str, payload: bytes | bytearray) -> Rejection:
    """Map a msgspec decode error message to a dead-letter reason."""
    if "missing required field" in message:
        return Rejection(DeadLetterReason.MISSING_FIELD, message)
    if "Number out of range" in message:
        return Rejection(DeadLetterReason.NOT_FINITE, message)
    if message.startswith("JSON is malformed") or message.startswith("Input data was"):
        if b"NaN" in payload or b"Infinity" in payload:
            return Rejection(DeadLetterReason.NOT_FINITE, message)
        return Rejection(DeadLetterReason.MALFORMED_JSON, message)
    return Rejection(DeadLetterReason.WRONG_TYPE, message)
