"""The periodic job runner shared by the score, condition and hazards jobs."""

from __future__ import annotations

import threading
import time

from storage.jobs import PeriodicJob


class Flaky(PeriodicJob):
    """Fails on its first run, then succeeds; signals each attempt."""

    name = "flaky"

    def __init__(self) -> None:
        super().__init__(interval_s=0.01)
        self.attempts = 0
        self.second = threading.Event()

    def run_once(self) -> int:
        self.attempts += 1
        if self.attempts == 1:
            raise RuntimeError("database away")
        self.second.set()
        return self.attempts


def test_a_failed_run_is_retried_and_counts_no_run() -> None:
    job = Flaky()
    job.start()
    try:
        assert job.second.wait(5)
    finally:
        job.stop()
    assert job.attempts >= 2
    assert job.runs == job.attempts - 1  # the failed first run is not counted


def test_start_twice_runs_one_thread_and_stop_is_idempotent() -> None:
    job = Flaky()
    job.interval_s = 60.0
    job.start()
    job.start()
    assert len([t for t in threading.enumerate() if t.name == "flaky-job"]) == 1
    for _ in range(500):
        if job.attempts:
            break
        time.sleep(0.01)
    job.stop()
    job.stop()
    assert not [t for t in threading.enumerate() if t.name == "flaky-job"]
    assert job.attempts == 1  # the first (failed) run, then the 60-s wait was cut short
