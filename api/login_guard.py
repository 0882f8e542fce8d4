"""Login throttling: per user name and per client address, with lockout and back-off.

Each user name and each client address has a token bucket (``burst`` attempts at once,
refilled at ``per_min`` a minute); an attempt beyond it is refused with the seconds to
wait (429 + ``Retry-After``). Consecutive failed logins of one name lock it: after
``lockout_after`` failures, for ``lockout_s`` seconds, doubling with every further failure
up to ``lockout_max_s``; a successful login clears the count. Pure and in memory (one API
process), bounded to ``max_entries`` names and addresses each (least recently used go).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from api.config import LoginSettings

Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class _Buckets:
    def __init__(self, burst: int, per_min: float, max_entries: int) -> None:
        self.burst = float(burst)
        self.rate_s = per_min / 60.0
        self.max_entries = max_entries
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def wait_s(self, key: str, now: float) -> float:
        """0 when an attempt may go now (and take a token), else the seconds to wait."""
        bucket = self._buckets.pop(key, None) or _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate_s)
        bucket.at = now
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_entries:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_s


class LoginGuard:
    """Decides whether a login attempt may be checked, and learns from its outcome."""

    def __init__(self, settings: LoginSettings, clock: Clock = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._names = _Buckets(settings.name_burst, settings.name_per_min, settings.max_entries)
        self._addresses = _Buckets(
            settings.address_burst, settings.address_per_min, settings.max_entries
        )
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def retry_after(self, username: str, address: str) -> int:
        """0: check this attempt; else refuse it, the client may retry after that many s."""
        now = self.clock()
        name = username.casefold()
        failures = self._failures.get(name)
        if failures is not None and failures.locked_until > now:
            return math.ceil(failures.locked_until - now)
        waits = (self._addresses.wait_s(address, now), self._names.wait_s(name, now))
        return math.ceil(max(waits))

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.casefold(), None)

    def failed(self, username: str) -> None:
        name = username.casefold()
        failures = self._failures.pop(name, None) or _Failures()
        failures.count += 1
        over = failures.count - self.settings.lockout_after
        if over >= 0:
            lock = min(self.settings.lockout_s * 2.0**over, self.settings.lockout_max_s)
            failures.locked_until = self.clock() + lock
        self._failures[name] = failures
        while len(self._failures) > self.settings.max_entries:
            self._failures.popitem(last=False)
