"""MessageDecoder: topic shape, size limit, registry resolution (no services)."""

from __future__ import annotations

import msgspec
import numpy as np

from domain.validation import DeadLetterReason
from ingest.decode import Decoded, Incoming, MessageDecoder
from ingest.presence import PresenceTracker
from ingest.registry import ElevatorRef, ElevatorRegistry

NOW = 1_800_000_000_000
ROOT = "liftwatch/v1"


def registry() -> ElevatorRegistry:
    reg = ElevatorRegistry()
    reg.by_terminal = {"T1": ElevatorRef(101, 0, -1, 20), "T2": ElevatorRef(102, 1, 1, 10)}
    reg.ids = [101, 102]
    reg.report_interval_ms = np.array([5000, 5000], dtype=np.int64)
    return reg


def decoder(max_payload: int = 1024, keep: int = 16) -> MessageDecoder:
    return MessageDecoder(registry(), ROOT, max_payload, keep, 300.0, 86_400.0)


def status_payload(**kw: object) -> bytes:
    body: dict[str, object] = {
        "v": 1, "seq": 1, "ts": NOW, "car": "stopped", "dir": "none", "floor": 1,
        "door_zone": True, "door": "open", "passenger": False, "mode": "normal",
    }  # fmt: skip
    body.update(kw)
    return msgspec.json.encode(body)


def item(topic: str, payload: bytes, mid: int = 1) -> Incoming:
    return (topic.encode(), payload, mid, 1, 1, NOW)


def run(*items: Incoming, dec: MessageDecoder | None = None) -> Decoded:
    out = Decoded()
    (dec or decoder()).decode(list(items), NOW, out)
    return out


def test_valid_messages_are_resolved_to_elevators() -> None:
    out = run(
        item(f"{ROOT}/T1/status", status_payload(floor=-1)),
        item(f"{ROOT}/T2/event", b'{"v":1,"seq":2,"ts":%d,"code":11}' % NOW),
        item(f"{ROOT}/T2/online", b'{"v":1,"online":false}'),
    )
    assert [s[0].elevator_id for s in out.statuses] == [101]
    assert out.statuses[0][1].floor == -1
    assert [e[1].code for e in out.events] == [11]
    assert [o[1].online for o in out.online] == [False]
    assert out.dead == []
    assert out.unknown == []


def test_bad_input_is_dead_lettered_with_reason_and_truncated_payload() -> None:
    big = b"x" * 2000
    out = run(
        item(f"{ROOT}/T1/status", big),
        item(f"{ROOT}/T1/status/extra", status_payload()),
        item(f"{ROOT}/T1/bogus", status_payload()),
        item("other/T1/status", status_payload()),
        item(f"{ROOT}//status", status_payload()),
        item(f"{ROOT}/T2/status", status_payload(floor=11)),
        item(f"{ROOT}/T1/status", b"{"),
    )
    reasons = [d.reason for d in out.dead]
    assert reasons == [
        DeadLetterReason.OVERSIZED,
        DeadLetterReason.BAD_TOPIC,
        DeadLetterReason.BAD_TOPIC,
        DeadLetterReason.BAD_TOPIC,
        DeadLetterReason.BAD_TOPIC,
        DeadLetterReason.OUT_OF_RANGE,
        DeadLetterReason.MALFORMED_JSON,
    ]
    assert out.dead[0].size == 2000
    assert out.dead[0].payload == b"x" * 16
    assert out.statuses == []


def test_invalid_utf8_topic_is_dead_lettered() -> None:
    out = Decoded()
    decoder().decode([(b"liftwatch/v1/\xff/status", status_payload(), 1, 1, 1, NOW)], NOW, out)
    assert [d.reason for d in out.dead] == [DeadLetterReason.BAD_TOPIC]


def test_unknown_terminal_gets_a_second_chance_after_reload() -> None:
    dec = decoder()
    out = run(
        item(f"{ROOT}/T9/status", status_payload()), item(f"{ROOT}/T8/status", b"{}"), dec=dec
    )
    assert len(out.unknown) == 1  # T8's payload is rejected before the registry is asked
    assert [d.reason for d in out.dead] == [DeadLetterReason.MISSING_FIELD]
    dec.registry.by_terminal["T9"] = ElevatorRef(109, 2, 1, 5)
    dec.resolve_unknown(NOW, out)
    assert [s[0].elevator_id for s in out.statuses] == [109]
    out2 = run(item(f"{ROOT}/T7/status", status_payload()), dec=dec)
    dec.resolve_unknown(NOW, out2)
    assert [d.reason for d in out2.dead] == [DeadLetterReason.UNKNOWN_ELEVATOR]


def test_presence_transitions_and_cheap_timeout_scan() -> None:
    tracker = PresenceTracker(heartbeat_intervals=3)
    tracker.resize(np.array([101, 102, 103], dtype=np.int64), np.full(3, 5000, dtype=np.int64))
    # Unknown terminals are not timed out; heard ones are.
    assert tracker.seen_changes(np.array([0, 1]), np.array([NOW, NOW]), NOW) == []
    assert tracker.expire(NOW + 15_000) == []
    gone = tracker.expire(NOW + 15_001)
    assert sorted((c.elevator_id, c.online) for c in gone) == [(101, False), (102, False)]
    assert tracker.expire(NOW + 20_000) == []  # reported once
    back = tracker.seen_changes(np.array([0]), np.array([NOW + 21_000]), NOW + 21_000)
    assert [(c.elevator_id, c.online) for c in back] == [(101, True)]
    will = tracker.announce(0, False, NOW + 22_000)
    assert will is not None
    assert not will.online
    assert tracker.announce(0, False, NOW + 22_001) is None
    hello = tracker.announce(0, True, NOW + 23_000)
    assert hello is not None
    assert hello.online
    # While ingest drains a backlog nobody times out.
    tracker.quiet_since_ms = NOW + 100_000
    assert tracker.expire(NOW + 110_000) == []


class _Exploding(dict[str, ElevatorRef]):
    def get(self, key: str, default: object = None) -> ElevatorRef | None:  # type: ignore[override]
        if key == "BOOM":
            raise RuntimeError("a bug in ingest")
        return super().get(key)


def test_a_decoder_failure_dead_letters_that_message_and_goes_on() -> None:
    dec = decoder()
    dec.registry.by_terminal = _Exploding(dec.registry.by_terminal)
    out = run(
        item(f"{ROOT}/T1/status", status_payload()),
        item(f"{ROOT}/BOOM/status", status_payload()),
        item(f"{ROOT}/T2/status", status_payload()),
        dec=dec,
    )
    assert [s[0].elevator_id for s in out.statuses] == [101, 102]
    assert [(d.reason, d.topic) for d in out.dead] == [
        (DeadLetterReason.UNPROCESSABLE, f"{ROOT}/BOOM/status")
    ]
