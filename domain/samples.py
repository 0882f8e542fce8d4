"""Status samples of one elevator as columns (numpy arrays), in event-time order.

The batched, vectorised form of :class:`domain.telemetry.StatusMessage` that the
detectors consume, the simulators' scenario mode produces and ingest builds per batch.
Enum-valued fields hold the small-int ids of :mod:`domain.codes` (``*_IDS``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from domain.codes import (
    CAR_STATUS_IDS,
    DIRECTION_IDS,
    DOOR_STATE_IDS,
    POWER_STATE_IDS,
    SERVICE_MODE_IDS,
    CarStatus,
    Direction,
    DoorState,
    PowerState,
    ServiceMode,
)
from domain.telemetry import SCHEMA_VERSION, Counters, StatusMessage

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I16 = npt.NDArray[np.int16]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]
F32 = npt.NDArray[np.float32]

_CARS = list(CarStatus)
_DIRS = list(Direction)
_DOORS = list(DoorState)
_MODES = list(ServiceMode)
_POWERS = list(PowerState)


@dataclass(frozen=True)
class StatusColumns:
    elevator_id: int
    ts_ms: I64
    seq: I64
    car: I8
    dir: I8
    floor: I16
    door_zone: B
    door: I8
    passenger: B
    mode: I8
    power: I8
    speed: F32
    load: F32
    leveling_mm: F32
    run_hours: F32
    runs: I32
    door_cycles: I32
    analog: dict[str, F32] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.ts_ms.shape[0])

    @classmethod
    def from_messages(cls, elevator_id: int, msgs: Sequence[StatusMessage]) -> StatusColumns:
        """Columns from messages (kept in the given order; sort by ``ts`` first if needed)."""
        n = len(msgs)
        names: set[str] = set()
        for m in msgs:
            names.update(m.analog)
        analog = {k: np.full(n, np.nan, dtype=np.float32) for k in sorted(names)}
        for i, m in enumerate(msgs):
            for k, v in m.analog.items():
                analog[k][i] = v
        return cls(
            elevator_id=elevator_id,
            ts_ms=np.fromiter((m.ts for m in msgs), np.int64, n),
            seq=np.fromiter((m.seq for m in msgs), np.int64, n),
            car=np.fromiter((CAR_STATUS_IDS[m.car] for m in msgs), np.int8, n),
            dir=np.fromiter((DIRECTION_IDS[m.dir] for m in msgs), np.int8, n),
            floor=np.fromiter((m.floor for m in msgs), np.int16, n),
            door_zone=np.fromiter((m.door_zone for m in msgs), np.bool_, n),
            door=np.fromiter((DOOR_STATE_IDS[m.door] for m in msgs), np.int8, n),
            passenger=np.fromiter((m.passenger for m in msgs), np.bool_, n),
            mode=np.fromiter((SERVICE_MODE_IDS[m.mode] for m in msgs), np.int8, n),
            power=np.fromiter((POWER_STATE_IDS[m.power] for m in msgs), np.int8, n),
            speed=np.fromiter((m.speed for m in msgs), np.float32, n),
            load=np.fromiter((m.load for m in msgs), np.float32, n),
            leveling_mm=np.fromiter((m.leveling_mm for m in msgs), np.float32, n),
            run_hours=np.fromiter((m.counters.run_hours for m in msgs), np.float32, n),
            runs=np.fromiter((m.counters.runs for m in msgs), np.int32, n),
            door_cycles=np.fromiter((m.counters.door_cycles for m in msgs), np.int32, n),
            analog=analog,
        )

    def to_messages(self) -> Iterator[StatusMessage]:
        """The same samples as wire messages (NaN analog values are left out)."""
        names = list(self.analog)
        for i in range(len(self)):
            analog = {k: float(self.analog[k][i]) for k in names}
            yield StatusMessage(
                v=SCHEMA_VERSION,
                seq=int(self.seq[i]),
                ts=int(self.ts_ms[i]),
                car=_CARS[self.car[i]],
                dir=_DIRS[self.dir[i]],
                floor=int(self.floor[i]),
                door_zone=bool(self.door_zone[i]),
                door=_DOORS[self.door[i]],
                passenger=bool(self.passenger[i]),
                mode=_MODES[self.mode[i]],
                power=_POWERS[self.power[i]],
                speed=round(float(self.speed[i]), 3),
                load=round(float(self.load[i]), 1),
                leveling_mm=round(float(self.leveling_mm[i]), 1),
                counters=Counters(
                    run_hours=round(float(self.run_hours[i]), 3),
                    runs=int(self.runs[i]),
                    door_cycles=int(self.door_cycles[i]),
                ),
                analog={k: round(v, 4) for k, v in analog.items() if v == v},
            )
