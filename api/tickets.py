"""Single use of the short-lived SSE tickets: a ticket's ``jti`` is remembered until the
ticket expires, and a second use is refused. In memory, as the tickets live for seconds
and are used on the API process that serves the stream."""

from __future__ import annotations

import time
from collections.abc import Callable


class TicketBook:
    def __init__(self, clock: Callable[[], float] = time.time, max_entries: int = 100_000) -> None:
        self._used: dict[str, float] = {}
        self._clock = clock
        self._max_entries = max_entries

    def use(self, jti: str, expires: float) -> bool:
        """Mark the ticket used; False if it was used before (or the book is full)."""
        now = self._clock()
        if len(self._used) >= self._max_entries:
            self._used = {key: exp for key, exp in self._used.items() if exp > now}
        if jti in self._used or len(self._used) >= self._max_entries:
            return False
        self._used[jti] = expires
        return True
