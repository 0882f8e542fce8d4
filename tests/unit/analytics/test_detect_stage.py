from __future__ import annotations

from analytics.config import DetectionSettings
from analytics.detectors import AlarmEvent
from domain.alarms import AlarmType
from domain.codes import CarStatus, Direction, DoorState, ServiceMode
from domain.telemetry import StatusMessage
from ingest.detect_stage import DetectStage, alarm_topic, columns_of


def _msg(ts: int, floor: int) -> StatusMessage:
    return StatusMessage(
        v=1, seq=ts, ts=ts, car=CarStatus.STOPPED, dir=Direction.NONE, floor=floor,
        door_zone=True, door=DoorState.OPEN, passenger=True, mode=ServiceMode.NORMAL,
    )  # fmt: skip


def test_batch_columns_sorted_by_elevator_then_event_time() -> None:
    ids, cols = columns_of([(2, _msg(30, 1)), (1, _msg(20, 2)), (2, _msg(10, 3)), (1, _msg(5, 4))])
    assert ids.tolist() == [1, 1, 2, 2]
    assert cols.ts_ms.tolist() == [5, 20, 10, 30]
    assert cols.floor.tolist() == [4, 2, 3, 1]


def test_suppression_windows_spare_the_alarm_button() -> None:
    stage = DetectStage(DetectionSettings(), "postgresql://unused/db")
    stage.alarm_writer.suppression.spans = {7: [(1000, 2000)]}
    ent = AlarmEvent(7, AlarmType.ENTRAPMENT, True, 1500)
    assert stage.is_suppressed(ent)
    assert not stage.is_suppressed(AlarmEvent(7, AlarmType.ENTRAPMENT, True, 2000))
    assert not stage.is_suppressed(AlarmEvent(8, AlarmType.ENTRAPMENT, True, 1500))
    assert not stage.is_suppressed(AlarmEvent(7, AlarmType.ALARM_BUTTON, True, 1500))
    assert alarm_topic("x/notify/v1", 3) == "x/notify/v1/company-3/alarm"
