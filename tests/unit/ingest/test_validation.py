"""Range checks and decoding of terminal messages (no services)."""

from __future__ import annotations

import msgspec
import pytest

from domain.codes import CarStatus, Direction, DoorState, ServiceMode
from domain.telemetry import Counters, EventMessage, OnlineMessage, StatusMessage
from domain.validation import (
    DeadLetterReason,
    Limits,
    check_event,
    check_online,
    check_status,
    classify_decode_error,
    floor_range,
)

NOW = 1_800_000_000_000
LIMITS = Limits(NOW, max_future_ms=300_000, max_past_ms=7 * 86_400_000)


def status(**kw: object) -> StatusMessage:
    base: dict[str, object] = dict(
        v=1, seq=1, ts=NOW, car=CarStatus.RUNNING, dir=Direction.UP, floor=3, door_zone=False,
        door=DoorState.CLOSED, passenger=True, mode=ServiceMode.NORMAL, speed=1.5,
    )  # fmt: skip
    base.update(kw)
    return StatusMessage(**base)  # type: ignore[arg-type]


def reason(r: object) -> DeadLetterReason | None:
    return None if r is None else r.reason  # type: ignore[attr-defined]


def test_valid_status_passes() -> None:
    assert check_status(status(analog={"vibration": 0.2}), LIMITS, -2, 30) is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"v": 2}, DeadLetterReason.UNSUPPORTED_VERSION),
        ({"seq": -1}, DeadLetterReason.OUT_OF_RANGE),
        ({"floor": 31}, DeadLetterReason.OUT_OF_RANGE),
        ({"floor": -3}, DeadLetterReason.OUT_OF_RANGE),
        ({"speed": 20.5}, DeadLetterReason.OUT_OF_RANGE),
        ({"speed": -0.1}, DeadLetterReason.OUT_OF_RANGE),
        ({"speed": float("nan")}, DeadLetterReason.NOT_FINITE),
        ({"load": float("inf")}, DeadLetterReason.NOT_FINITE),
        ({"analog": {"vibration": float("nan")}}, DeadLetterReason.NOT_FINITE),
        ({"analog": {"a": float("inf"), "b": float("-inf")}}, DeadLetterReason.NOT_FINITE),
        ({"analog": {"": 1.0}}, DeadLetterReason.OUT_OF_RANGE),
        ({"counters": Counters(runs=-1)}, DeadLetterReason.OUT_OF_RANGE),
        ({"counters": Counters(run_hours=float("nan"))}, DeadLetterReason.NOT_FINITE),
        ({"ts": NOW + 300_001}, DeadLetterReason.FUTURE_TIMESTAMP),
        ({"ts": NOW - 7 * 86_400_000 - 1}, DeadLetterReason.PAST_TIMESTAMP),
    ],
)
def test_bad_status_is_rejected(changes: dict[str, object], expected: DeadLetterReason) -> None:
    assert reason(check_status(status(**changes), LIMITS, -2, 30)) is expected


def test_boundaries_are_accepted() -> None:
    assert check_status(status(ts=NOW + 300_000, floor=30, speed=20.0), LIMITS, -2, 30) is None
    assert (
        check_status(status(ts=NOW - 7 * 86_400_000, floor=-2, speed=0.0), LIMITS, -2, 30) is None
    )


def test_floor_range_accepts_both_readings_of_floors() -> None:
    assert floor_range(1, 30) == (1, 30)
    assert floor_range(-2, 30) == (-2, 30)  # 30 as top floor (count would give 27)
    assert floor_range(-2, 3) == (-2, 3)


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        (EventMessage(v=1, seq=1, ts=NOW, code=11), None),
        (EventMessage(v=1, seq=1, ts=NOW, code=90, floor=5), None),
        (EventMessage(v=1, seq=1, ts=NOW, code=12), DeadLetterReason.UNKNOWN_CODE),
        (EventMessage(v=1, seq=1, ts=NOW, code=48), DeadLetterReason.UNKNOWN_CODE),
        (EventMessage(v=1, seq=1, ts=NOW, code=1, floor=99), DeadLetterReason.OUT_OF_RANGE),
        (EventMessage(v=1, seq=1, ts=NOW + 10**9, code=1), DeadLetterReason.FUTURE_TIMESTAMP),
        (EventMessage(v=1, seq=1, ts=NOW, code=1, detail="a\x00b"), DeadLetterReason.OUT_OF_RANGE),
    ],
)
def test_event_checks(msg: EventMessage, expected: DeadLetterReason | None) -> None:
    assert reason(check_event(msg, LIMITS, -2, 30)) is expected


def test_online_checks() -> None:
    assert check_online(OnlineMessage(v=1, online=False), LIMITS) is None
    assert (
        check_online(OnlineMessage(v=1, online=True, ts=NOW - 10**10), LIMITS) is None
    )  # old retained
    bad = check_online(OnlineMessage(v=3, online=True), LIMITS)
    assert reason(bad) is DeadLetterReason.UNSUPPORTED_VERSION


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"{not json", DeadLetterReason.MALFORMED_JSON),
        (b"", DeadLetterReason.MALFORMED_JSON),
        (b'{"v":1,"seq":1}', DeadLetterReason.MISSING_FIELD),
        (b'{"v":"1","seq":1,"ts":1}', DeadLetterReason.WRONG_TYPE),
        (b"[1,2]", DeadLetterReason.WRONG_TYPE),
        (b'{"v":1,"seq":1,"ts":1,"car":"flying","dir":"up","floor":1,"door_zone":true,'
         b'"door":"closed","passenger":true,"mode":"normal"}', DeadLetterReason.WRONG_TYPE),
        (b'{"v":1,"seq":1,"ts":1,"car":"running","dir":"up","floor":1,"door_zone":true,'
         b'"door":"closed","passenger":true,"mode":"normal","speed":NaN}',
         DeadLetterReason.NOT_FINITE),
        (b'{"v":1,"seq":1,"ts":1,"car":"running","dir":"up","floor":1,"door_zone":true,'
         b'"door":"closed","passenger":true,"mode":"normal","speed":1e999}',
         DeadLetterReason.NOT_FINITE),
    ],
)  # fmt: skip
def test_decode_errors_are_classified(payload: bytes, expected: DeadLetterReason) -> None:
    with pytest.raises(msgspec.DecodeError) as exc:
        msgspec.json.decode(payload, type=StatusMessage)
    assert classify_decode_error(str(exc.value), payload).reason is expected
