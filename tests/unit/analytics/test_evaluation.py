from __future__ import annotations

from analytics.detectors import AlarmEvent
from analytics.evaluation import FiredAlarm, evaluate, fired_alarms
from domain.alarms import AlarmType
from domain.groundtruth import GroundTruth, LookAlike

ENT = AlarmType.ENTRAPMENT.value


def gt(eid: int, kind: str, start: int, end: int, fault: bool = True) -> GroundTruth:
    return GroundTruth(elevator_id=eid, kind=kind, start_ms=start, end_ms=end, is_fault=fault)


def test_matching_true_false_positives_recall_and_delays() -> None:
    truth = [
        gt(1, ENT, 1000, 100_000),
        gt(1, ENT, 200_000, 300_000),
        gt(2, ENT, 0, 50_000),  # missed
        gt(3, LookAlike.PRESENCE_FLICKER.value, 0, 60_000, fault=False),
    ]
    alarms = [
        FiredAlarm(1, ENT, 31_000),  # TP, delay 30 s
        FiredAlarm(1, ENT, 90_000),  # TP (same fault again): counts for precision only
        FiredAlarm(1, ENT, 232_000),  # TP, delay 32 s
        FiredAlarm(1, ENT, 304_000),  # within the 5 s tolerance after the end: TP
        FiredAlarm(1, ENT, 306_000),  # beyond it: FP
        FiredAlarm(3, ENT, 40_000),  # on a look-alike: FP
        FiredAlarm(2, AlarmType.OVERSPEED.value, 10_000),  # wrong type: FP of overspeed
    ]
    s = evaluate(alarms, truth)
    e = s[ENT]
    assert (e.alarms, e.true_positives, e.faults, e.detected) == (6, 4, 3, 2)
    assert e.on_lookalike == {"presence_flicker": 1}
    assert sorted(e.delays_ms) == [30_000, 32_000]
    assert e.summary()["median_delay_s"] == 31.0
    assert abs(e.precision - 4 / 6) < 1e-9
    assert abs(e.recall - 2 / 3) < 1e-9
    o = s[AlarmType.OVERSPEED.value]
    assert (o.alarms, o.false_positives, o.faults, o.recall) == (1, 1, 0, 1.0)


def test_alarm_before_the_fault_starts_is_false() -> None:
    s = evaluate([FiredAlarm(1, ENT, 999)], [gt(1, ENT, 1000, 5000)])
    assert s[ENT].true_positives == 0
    assert s[ENT].recall == 0.0


def test_fired_alarms_follow_the_alarm_lifecycle() -> None:
    ot = AlarmType.OVERSPEED
    ev = [
        AlarmEvent(1, ot, True, 10, detail={"tier": 1}),
        AlarmEvent(1, ot, True, 20, detail={"tier": 2}),  # update of the open alarm
        AlarmEvent(1, ot, False, 30),
        AlarmEvent(1, ot, True, 40),
        AlarmEvent(2, ot, True, 40),
    ]
    assert fired_alarms(ev) == [
        FiredAlarm(1, "overspeed", 10),
        FiredAlarm(1, "overspeed", 40),
        FiredAlarm(2, "overspeed", 40),
    ]
