"""The presence tracker's heartbeat timeout follows a terminal's learned report interval."""

from __future__ import annotations

import numpy as np

from ingest.presence import OFFLINE, ONLINE, PresenceTracker

S = 1000


def tracker(registered_s: list[float]) -> PresenceTracker:
    t = PresenceTracker(heartbeat_intervals=3.0)
    ids = np.arange(1, len(registered_s) + 1, dtype=np.int64)
    t.resize(ids, (np.array(registered_s) * S).astype(np.int64))
    return t


def feed(t: PresenceTracker, index: int, times_s: list[float]) -> list[int]:
    """Messages of one terminal, one per batch; returns the offline flips in between."""
    flips = []
    for at in times_s:
        if t.expire(round(at * S) - 1):
            flips.append(round(at))
        t.seen(np.array([index]), np.array([round(at * S)], np.int64))
    return flips


def test_a_terminal_reporting_less_often_than_registered_stops_flapping() -> None:
    t = tracker([5.0, 5.0])
    times = [1000.0]
    for i in range(40):
        times.append(times[-1] + (16.0 if i % 2 else 20.0))
    flips = feed(t, 0, times)
    assert flips, "until its interval is learned, the registered 5 s (15 s timeout) rules"
    assert max(flips) < times[25]  # ... then it is never offline between its messages
    assert 16 * S <= t.interval_ms[0] <= 20 * S
    assert 3 * 16 * S <= t.timeout_ms[0] <= 3 * 20 * S
    last = round(times[-1] * S)
    assert t.expire(last + int(t.timeout_ms[0]) - 1) == []
    [change] = t.expire(last + int(t.timeout_ms[0]) + 1)  # a real silence
    assert (change.elevator_id, change.online) == (1, False)
    assert t.state[0] == OFFLINE
    # the other terminal is untouched
    assert t.timeout_ms[1] == 15 * S
    assert t.state[1] != ONLINE


def test_never_shorter_than_registered_and_silences_are_not_intervals() -> None:
    t = tracker([5.0])
    times = [float(s) for s in range(1000, 1100, 2)]  # every 2 s: a burst, not learned
    times += [1100.0 + 600.0]  # a 10-minute outage
    times += [1700.0 + 5.0 * i for i in range(1, 30)]
    feed(t, 0, times)
    assert t.timeout_ms[0] == 15 * S
    assert 4.9 * S <= t.interval_ms[0] <= 5.1 * S  # the outage was not counted


def test_messages_of_one_batch_count_their_own_gaps() -> None:
    t = tracker([5.0])
    at = np.array([30_000 * i for i in range(1, 30)], np.int64)
    t.seen(np.zeros(len(at), np.int64), at[::-1].copy())  # any order within the batch
    assert t.interval_ms[0] == 30 * S
    assert t.timeout_ms[0] == 90 * S


def test_a_learned_interval_restored_at_start_rules_at_once_and_bad_ones_are_ignored() -> None:
    t = tracker([5.0, 5.0, 5.0, 5.0])
    t.restore_intervals(
        np.array([0, 1, 2, 3], np.intp),
        np.array([50.0, np.nan, 30.0, 30.0]),
        np.array([60_000.0, 60_000.0, -1.0, 2 * 86_400_000.0]),
    )
    assert t.timeout_ms.tolist() == [180 * S, 15 * S, 15 * S, 15 * S]
    assert feed(t, 0, [1000.0 + 60.0 * i for i in range(10)]) == []  # never offline
    assert 59 * S <= t.interval_ms[0] <= 61 * S
