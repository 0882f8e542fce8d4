from __future__ import annotations

from domain.codes import CarStatus, Direction, DoorState, ServiceMode
from domain.samples import StatusColumns
from domain.telemetry import Counters, StatusMessage


def _msg(seq: int, **kw: object) -> StatusMessage:
    base: dict[str, object] = dict(
        v=1,
        seq=seq,
        ts=1_700_000_000_000 + seq * 5000,
        car=CarStatus.STOPPED,
        dir=Direction.NONE,
        floor=seq,
        door_zone=True,
        door=DoorState.CLOSED,
        passenger=seq % 2 == 0,
        mode=ServiceMode.NORMAL,
        counters=Counters(run_hours=1.5, runs=seq, door_cycles=2 * seq),
    )
    base.update(kw)
    return StatusMessage(**base)  # type: ignore[arg-type]


def test_columns_round_trip_messages() -> None:
    msgs = [
        _msg(1, analog={"vibration": 0.25}),
        _msg(2, car=CarStatus.RUNNING, speed=1.5),
        _msg(3, door=DoorState.OPEN, mode=ServiceMode.INSPECTION),
    ]
    cols = StatusColumns.from_messages(42, msgs)
    assert len(cols) == 3
    assert cols.elevator_id == 42
    assert cols.floor.tolist() == [1, 2, 3]
    assert cols.passenger.tolist() == [False, True, False]
    back = list(cols.to_messages())
    assert back[0].analog == {"vibration": 0.25}
    assert back[1].analog == {}  # missing channel is not invented
    assert [m.car for m in back] == [m.car for m in msgs]
    assert [m.mode for m in back] == [m.mode for m in msgs]
    assert back[2].counters == msgs[2].counters
