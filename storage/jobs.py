"""Periodic database jobs run beside the other services (the score, the condition index,
the hazards' scan and escalation): one run at start, then one every ``interval_s``, in a
daemon thread. A failed run is logged and never ends the job; the next round retries."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class PeriodicJob(ABC):
    """Subclasses name themselves and say what one run does (``run_once``)."""

    name: str

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def run_once(self) -> object:
        """One run; raising is allowed (logged, retried next round)."""

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-job", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
                self.runs += 1
            except Exception:  # a failed run must not end the job; the next one retries
                log.exception("%s job run failed (retrying in %.0f s)", self.name, self.interval_s)
            self._stop.wait(self.interval_s)
