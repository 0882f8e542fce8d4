"""The cluster's pure parts: the partition assignment and the stream's wire format."""

from __future__ import annotations

from domain.codes import CarStatus, Direction, DoorState, ServiceMode
from domain.telemetry import StatusMessage
from ingest.batch import Batch
from ingest.cluster import wire
from ingest.cluster.balance import Membership, assign


def test_assignment_is_balanced_complete_and_deterministic() -> None:
    for partitions in (1, 4, 8, 12, 64):
        for n in (1, 2, 3, 5):
            members = [f"detector-{i}" for i in range(n)]
            owned = assign(partitions, members)
            flat = sorted(p for ps in owned.values() for p in ps)
            assert flat == list(range(partitions))
            sizes = [len(ps) for ps in owned.values()]
            assert max(sizes) - min(sizes) <= 1
            assert assign(partitions, members[::-1]) == owned


def test_a_member_coming_back_gets_its_partitions_back() -> None:
    members = ["a", "b", "c"]
    before = assign(12, members)
    without = assign(12, ["a", "c"])
    assert sorted(without["a"] + without["c"]) == list(range(12))
    assert set(before["b"]) <= set(without["a"]) | set(without["c"])
    assert assign(12, members) == before


def test_membership_forgets_the_silent() -> None:
    members = Membership(timeout_s=2.0)
    members.heard("a", 10.0)
    members.heard("b", 11.5)
    assert members.live(12.0) == {"a", "b"}
    assert members.live(12.5) == {"b"}
    members.left("b")
    assert members.live(12.6) == set()


def _status(seq: int) -> StatusMessage:
    return StatusMessage(
        v=1, seq=seq, ts=1_700_000_000_000 + seq, car=CarStatus.STOPPED, dir=Direction.NONE,
        floor=1, door_zone=True, door=DoorState.CLOSED, passenger=False,
        mode=ServiceMode.NORMAL,
    )  # fmt: skip


def test_split_keeps_each_elevator_in_one_bucket_and_round_trips() -> None:
    batch = Batch(statuses=[(e, _status(s)) for s in range(3) for e in (1, 65, 2, 130)])
    batch.received_at_ms = 42
    bodies = wire.split(batch, 64)
    assert set(bodies) == {1, 2}  # 1 and 65 share bucket 1; 2 and 130 bucket 2
    parts = [wire.decode(body) for body in bodies.values()]
    back = wire.to_batch(parts)
    assert sorted((e, m.seq) for e, m in back.statuses) == sorted(
        (e, m.seq) for e, m in batch.statuses
    )
    assert back.received_at_ms == 42
    for part in parts:
        assert len({e % 64 for e, _ in part.statuses}) == 1
