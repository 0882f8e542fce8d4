"""Register synthetic elevators fast (binary COPY), for benchmarks and tests that must
not depend on the fleet simulator. Terminal ids are ``<prefix><n>``."""

from __future__ import annotations

from ingest.repository.elevators import seed_elevators

__all__ = ["seed_elevators"]
