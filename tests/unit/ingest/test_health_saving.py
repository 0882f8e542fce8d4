"""The detect stage's saving of the learned sensor health: queued every period and on
hand-over, saved in chunks per writer turn, a failed save kept and retried after a pause
(the database here is unreachable: nothing crashes)."""

from __future__ import annotations

import time

import pytest

from analytics.config import DetectionSettings
from analytics.detectors.health import SensorHealth, Snapshot
from ingest.config import RecoverySettings
from ingest.detect_stage import HEALTH_SAVE_CHUNK, DetectStage

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


def _snapshot(to_ms: int) -> Snapshot:
    health = SensorHealth()
    health.all_n = health.closed_n = 50.0
    return {**health.snapshot(), "to_ms": to_ms}


def _stage(count: int, **recovery: object) -> DetectStage:
    stage = DetectStage(
        DetectionSettings(), UNREACHABLE, recovery=RecoverySettings.model_validate(recovery)
    )
    assert stage.fleet.load_health({e: _snapshot(1_000 + e) for e in range(1, count + 1)}) == count
    return stage


def test_a_failed_save_keeps_the_snapshots_and_waits_before_trying_again() -> None:
    stage = _stage(10)
    stage._health_next = 0.0  # the periodic save is due
    stage._save_health_when_due()
    assert stage.health_counts["save_errors"] == 1
    assert sorted(stage._health_out) == list(range(1, 11))
    assert stage._health_retry > time.monotonic()
    stage._save_health_when_due()  # within the pause: no new attempt
    assert stage.health_counts["save_errors"] == 1


def test_the_writer_saves_at_most_a_chunk_per_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    count = 2 * HEALTH_SAVE_CHUNK + 500
    stage = _stage(count)
    sizes: list[int] = []

    def save(snapshots: dict[int, Snapshot] | None = None) -> bool:
        assert snapshots is not None
        sizes.append(len(snapshots))
        return True

    monkeypatch.setattr(stage, "save_health", save)
    stage._save_health_when_due()  # not due yet, nothing waiting
    assert sizes == []
    stage._health_next = 0.0
    for _ in range(4):
        stage._save_health_when_due()
    assert sizes == [HEALTH_SAVE_CHUNK, HEALTH_SAVE_CHUNK, 500]
    assert stage._health_next > time.monotonic() + 30  # the next in health_save_every_s


def test_handed_over_elevators_are_queued_for_saving_then_dropped() -> None:
    stage = _stage(3)
    stage.forget([2, 3, 9])
    assert set(stage.fleet.detectors) == {1}
    assert stage._health_out == {2: _snapshot(1_002), 3: _snapshot(1_003)}
    off = _stage(3, health=False)
    off.forget([2])
    assert off._health_out == {}
    off._health_next = 0.0
    off._save_health_when_due()  # disabled: no attempt
    assert off.health_counts["save_errors"] == 0
