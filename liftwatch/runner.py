"""Background services run side by side by `liftwatch demo` (ingest, simulator, jobs)."""

from __future__ import annotations

from typing import Protocol


class BackgroundService(Protocol):
    name: str

    def start(self) -> None:
        """Start in the background; return promptly."""

    def stop(self) -> None:
        """Stop and release resources; idempotent."""
